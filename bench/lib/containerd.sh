# Sourced by the bench scripts: Debian's containerd as a peer runtime of the run's own.
#   write_containerd_config DIR SANDBOX_IMAGE CNI_BIN_DIR CNI_CONF_DIR
# writes DIR/config.toml (root, state and socket under DIR; overlayfs; the CNI dirs given).

write_containerd_config() {
  local dir=$1 sandbox=$2 cni_bin=$3 cni_conf=$4
  mkdir -p "$dir"
  cat >"$dir/config.toml" <<TOML
version = 2
root = "$dir/root"
state = "$dir/state"
[grpc]
  address = "$dir/containerd.sock"
[ttrpc]
  address = "$dir/containerd.sock.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$sandbox"
  # The pause process's -998 is refused without CAP_SYS_RESOURCE.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$cni_bin"
    conf_dir = "$cni_conf"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
TOML
}

#!/usr/bin/env bash
# Runs kubelet_start_bench with capstan-kubelet over capstan-cri and, where installed, over
# containerd (+runc), in the same run: time from static pod manifests written to containers
# Running (1 pod, then PODS at once), and the kubelet's CPU and RSS with PODS pods idle.
# Pods use capstan's bridge plugin on a bench bridge (capbench0, 10.250.0.0/24).
#   bench/run_kubelet_bench.sh [BUILD_DIR] [PODS] [IDLE_SECONDS]
# Targets (shared/TARGETS.md): 30 pods created -> running p99 <= 1 s; node agent memory
# (kubelet + runtime + per-container processes) with 30 pods <= 50 MB.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/containerd.sh"
build=${1:-$here/../build}
pods=${2:-30}
idle=${3:-60}
bin=$build/bin
work=$(mktemp -d /tmp/capstan-kbench-XXXXXX)
image=docker.io/library/busybox:latest
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 1
  pkill -9 -f "$work/" 2>/dev/null || true
  grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  for c in /sys/fs/cgroup/*/capstan-kbench /sys/fs/cgroup/capstan-kbench; do
    [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
  ip link del capbench0 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

bash "$here/../integration/fixtures/build-busybox-image.sh" "$work/image" >/dev/null
mkdir -p "$work/cni"
cat >"$work/cni/10-bench.conflist" <<JSON
{"cniVersion": "1.0.0", "name": "kbench", "plugins": [{"type": "bridge", "bridge": "capbench0",
 "isGateway": true, "ipam": {"type": "host-local", "subnet": "10.250.0.0/24",
 "dataDir": "$work/ipam"}}]}
JSON
wait_socket() { for _ in $(seq 1 200); do [ -S "$1" ] && return 0; sleep 0.05; done; echo "no socket $1" >&2; return 1; }

# run_kubelet NAME ENDPOINT RUNTIME_PID PER_CONTAINER_COMM
run_kubelet() {
  local name=$1 endpoint=$2 runtime_pid=$3 comm=$4
  mkdir -p "$work/$name/manifests"
  cat >"$work/$name/kubelet.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
staticPodPath: $work/$name/manifests
cgroupRoot: /capstan-kbench
podLogsDir: $work/$name/pod-logs
enableServer: false
healthzPort: 0
resolvConf: ""
YAML
  "$bin/capstan-kubelet" --config "$work/$name/kubelet.yaml" --container-runtime-endpoint "$endpoint" \
    --root-dir "$work/$name/kubelet" --hostname-override bench-node --log-level warn \
    2>"$work/$name-kubelet.log" &
  local kpid=$!
  pids+=($kpid)
  sleep 2
  "$bin/kubelet_start_bench" --endpoint "$endpoint" --manifests "$work/$name/manifests" \
    --image "$image" --pods "$pods" --idle "$idle" --kubelet-pid "$kpid" \
    --runtime-pid "$runtime_pid" --per-container-comm "$comm" --name "$name" | tee "$work/$name.out"
  kill "$kpid"; wait "$kpid" 2>/dev/null || true
}

# capstan-cri, with the image imported at start from <root>/images.
mkdir -p "$work/capstan-cri/root/images"
cp "$work/image/busybox-oci.tar" "$work/capstan-cri/root/images/"
cat >"$work/capstan-cri.yaml" <<YAML
root: $work/capstan-cri/root
state: $work/capstan-cri/state
listen: unix://$work/capstan-cri/cri.sock
cni:
  conf_dir: $work/cni
  bin_dirs: [$bin/cni]
  cache_dir: $work/capstan-cri/cni-cache
YAML
"$bin/capstan-cri" --config "$work/capstan-cri.yaml" --log-level warn 2>"$work/capstan-cri.log" &
cri_pid=$!
pids+=($cri_pid)
wait_socket "$work/capstan-cri/cri.sock"
run_kubelet capstan "unix://$work/capstan-cri/cri.sock" "$cri_pid" capstan-monitor
kill "$cri_pid"; wait "$cri_pid" 2>/dev/null || true

if ! command -v containerd >/dev/null; then
  echo "containerd is not installed: no runtime peer figures (apt install containerd runc)"
  exit 0
fi
python3 "$here/../integration/critest/derive_image.py" "$work/image/busybox-oci" "$work/pause-oci" \
  --cmd '["sleep","2147483647"]'
skopeo --insecure-policy copy -q "oci:$work/pause-oci:latest" \
  "docker-archive:$work/pause.tar:capstan.local/pause:latest"
write_containerd_config "$work/containerd" capstan.local/pause:latest "$bin/cni" "$work/cni"
containerd --config "$work/containerd/config.toml" 2>"$work/containerd.log" &
ctd_pid=$!
pids+=($ctd_pid)
wait_socket "$work/containerd/containerd.sock"
ctr_() { ctr --address "$work/containerd/containerd.sock" -n k8s.io "$@"; }
ctr_ images import --all-platforms "$work/image/busybox-docker.tar" >/dev/null
ctr_ images import --all-platforms "$work/pause.tar" >/dev/null
sleep 2
run_kubelet containerd "unix://$work/containerd/containerd.sock" "$ctd_pid" containerd-shim

python3 - "$work/capstan.out" "$work/containerd.out" <<'PY'
import re, sys
def figures(path):
    out = {}
    for line in open(path):
        for k, v in re.findall(r"(\w+)=([\d.]+)", line):
            out[k] = float(v)
    return out
c, p = figures(sys.argv[1]), figures(sys.argv[2])
print("capstan-kubelet over capstan-cri / over containerd (lower is better):")
for key in ["one_pod_median_s", "all_running_s", "pod_p50_s", "pod_p99_s", "kubelet_cpu_s",
            "kubelet_rss_kb", "runtime_rss_kb", "per_container_rss_kb", "node_rss_kb",
            "kubelet_pss_kb", "runtime_pss_kb", "per_container_pss_kb", "node_pss_kb"]:
    if key in c and key in p and p[key] > 0:
        print(f"  {key:22} {c[key]:10.3f} / {p[key]:10.3f} = {c[key] / p[key]:.3f}")
print(f"targets: pod_p99_s <= 1.0 (capstan: {c.get('pod_p99_s', 0):.3f}); "
      f"node memory <= 51200 kB (capstan: RSS sum {c.get('node_rss_kb', 0):.0f}, "
      f"PSS sum {c.get('node_pss_kb', 0):.0f})")
PY

#!/usr/bin/env bash
# Runs streaming_bench (exec round trip, port-forward throughput) against capstan-cri and,
# where installed, containerd, in the same run, and prints each figure as a ratio
# capstan/containerd.
#   bench/run_streaming_bench.sh [BUILD_DIR] [EXECS] [MIB]
# containerd's pod uses the host network (it needs an eth0 from CNI otherwise); capstan's has
# its own namespace with lo up. Both forward to the pod's loopback.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/containerd.sh"
build=${1:-$here/../build}
execs=${2:-200}
mib=${3:-256}
bin=$build/bin
work=$(mktemp -d /tmp/capstan-bench-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.5
  pkill -9 -f "$work/" 2>/dev/null || true
  grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  for c in /sys/fs/cgroup/*/capstan-bench /sys/fs/cgroup/capstan-bench; do
    [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

bash "$here/../integration/fixtures/build-busybox-image.sh" "$work/image" >/dev/null
image=docker.io/library/busybox:latest

wait_socket() { for _ in $(seq 1 100); do [ -S "$1" ] && return 0; sleep 0.05; done; echo "no socket $1" >&2; return 1; }

# capstan-cri, with the image imported at start from <root>/images.
mkdir -p "$work/capstan/root/images"
cp "$work/image/busybox-oci.tar" "$work/capstan/root/images/"
"$bin/capstan-cri" --root "$work/capstan/root" --state "$work/capstan/state" \
  --listen "unix://$work/capstan/cri.sock" --log-level warn 2>"$work/capstan.log" &
pids+=($!)
capstan_pid=$!
wait_socket "$work/capstan/cri.sock"
"$bin/streaming_bench" --endpoint "unix://$work/capstan/cri.sock" --image "$image" \
  --execs "$execs" --mib "$mib" --name capstan | tee "$work/capstan.out"

if ! command -v containerd >/dev/null; then
  echo "containerd is not installed: no peer figures (apt install containerd runc)"
  exit 0
fi
umoci config --image "$work/image/busybox-oci:latest" --tag pause \
  --config.cmd /bin/sleep --config.cmd 2147483647 >/dev/null
skopeo --insecure-policy copy -q "oci:$work/image/busybox-oci:pause" \
  "docker-archive:$work/pause.tar:capstan.local/pause:latest"
mkdir -p "$work/cni"
cat >"$work/cni/10-lo.conflist" <<JSON
{"cniVersion": "1.0.0", "name": "lo", "plugins": [{"type": "loopback"}]}
JSON
write_containerd_config "$work/containerd" capstan.local/pause:latest "/usr/lib/cni" "$work/cni"
containerd --config "$work/containerd/config.toml" 2>"$work/containerd.log" &
pids+=($!)
wait_socket "$work/containerd/containerd.sock"
ctr_() { ctr --address "$work/containerd/containerd.sock" -n k8s.io "$@"; }
ctr_ images import --all-platforms "$work/image/busybox-docker.tar" >/dev/null
ctr_ images import --all-platforms "$work/pause.tar" >/dev/null
sleep 1
"$bin/streaming_bench" --endpoint "unix://$work/containerd/containerd.sock" --image "$image" \
  --execs "$execs" --mib "$mib" --name containerd --host-network | tee "$work/containerd.out"

python3 - "$work/capstan.out" "$work/containerd.out" <<'PY'
import re, sys
def figures(path):
    out = {}
    for line in open(path):
        for k, v in re.findall(r"(\w+)=([\d.]+)", line):
            out[k] = float(v)
    return out
c, p = figures(sys.argv[1]), figures(sys.argv[2])
print("ratios capstan/containerd (latency: lower is better; throughput: higher is better):")
for key in ["exec_p50_ms", "exec_p90_ms", "port_forward_mib_s"]:
    if key in c and key in p and p[key] > 0:
        print(f"  {key:20} {c[key]:10.2f} / {p[key]:10.2f} = {c[key] / p[key]:.3f}")
PY

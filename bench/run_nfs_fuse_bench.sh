#!/usr/bin/env bash
# NFS over FUSE: sequential write and read of 256 MiB through capstan-nfs-fuse (the path a pod
# uses on a node without a kernel NFS client), beside the same transfers through libnfs
# directly (libnfs-utils' nfs-cp: no FUSE, no kernel; the floor), against nfs-ganesha on
# 127.0.0.1. Prints MiB/s and the ratio (FUSE / libnfs). Page-cache reads are avoided by
# dropping caches before each read. Needs root.
# Usage: bench/run_nfs_fuse_bench.sh BUILD_DIR [MIB]
set -euo pipefail
build=$(cd "$1" && pwd)
mib=${2:-256}
here=$(cd "$(dirname "$0")" && pwd)
fixtures=$here/../integration/fixtures
[[ $(id -u) == 0 ]] || { echo "needs root"; exit 1; }
command -v nfs-cp >/dev/null || { echo "needs nfs-cp (libnfs-utils)"; exit 1; }
tmp=$(mktemp -d /tmp/capstan-nfs-bench.XXXXXX)
cleanup() {
  umount -l "$tmp/mnt" 2>/dev/null || true
  bash "$fixtures/ganesha.sh" stop "$tmp/ganesha" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
options=$(CAPSTAN_GANESHA_WATCH_PID=$$ bash "$fixtures/ganesha.sh" start "$tmp/ganesha")
share=$tmp/ganesha/export
port=${options#port=}; port=${port%%,*}
mount_port=${options#*mountport=}
mkdir -p "$tmp/ganesha/export/vol" "$tmp/mnt"
head -c $((mib << 20)) /dev/urandom >"$tmp/src"
now() { date +%s.%N; }
rate() { echo "scale=1; $mib / ($2 - $1)" | bc; }
drop() { sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true; }

url="nfs://127.0.0.1$share/vol/direct?version=3&nfsport=$port&mountport=$mount_port"
drop
t0=$(now); nfs-cp "$tmp/src" "$url"; t1=$(now)
floor_write=$(rate "$t0" "$t1")
drop
t0=$(now); nfs-cp "$url" "$tmp/back-direct"; t1=$(now)
floor_read=$(rate "$t0" "$t1")
cmp "$tmp/src" "$tmp/back-direct"

"$build/bin/capstan-nfs-fuse" 127.0.0.1 "$share" vol "$tmp/mnt" "$options" &
for _ in $(seq 50); do grep -q " $tmp/mnt fuse" /proc/mounts && break; sleep 0.1; done
drop
t0=$(now); dd if="$tmp/src" of="$tmp/mnt/fuse" bs=1M conv=fsync status=none; t1=$(now)
fuse_write=$(rate "$t0" "$t1")
drop
t0=$(now); dd if="$tmp/mnt/fuse" of="$tmp/back-fuse" bs=1M status=none; t1=$(now)
fuse_read=$(rate "$t0" "$t1")
cmp "$tmp/src" "$tmp/back-fuse"

printf '%-28s %10s %10s\n' "$mib MiB sequential" "write" "read"
printf '%-28s %8s/s %8s/s\n' "capstan-nfs-fuse (MiB)" "$fuse_write" "$fuse_read"
printf '%-28s %8s/s %8s/s\n' "libnfs nfs-cp, floor (MiB)" "$floor_write" "$floor_read"
printf '%-28s %10s %10s\n' "ratio FUSE / libnfs" \
  "$(echo "scale=2; $fuse_write / $floor_write" | bc)" "$(echo "scale=2; $fuse_read / $floor_read" | bc)"

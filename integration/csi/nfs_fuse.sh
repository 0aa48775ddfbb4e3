#!/usr/bin/env bash
# capstan-nfs-fuse against nfs-ganesha on 127.0.0.1 (NFSv3): a directory of the export,
# mounted through FUSE with libnfs underneath, behaves as a filesystem to the programs a pod
# runs: files written are on the server, large writes read back intact, renames, links,
# modes and truncation work, a non-root writer owns what it makes, and a read-only mount
# refuses writes. Needs root (FUSE mounts).
# Usage: nfs_fuse.sh BIN_DIR FIXTURES_DIR
set -u
bin_dir=$1
fixtures=$2
[[ $(id -u) == 0 ]] || { echo "SKIP: needs root"; exit 77; }
[[ -x /usr/bin/ganesha.nfsd ]] || { echo "SKIP: nfs-ganesha is not installed"; exit 77; }
[[ -e /dev/fuse ]] || { echo "SKIP: no /dev/fuse"; exit 77; }
tmp=$(mktemp -d /tmp/capstan-nfs-fuse.XXXXXX)
mnt=$tmp/mnt
ro=$tmp/ro
cleanup() {
  umount -l "$mnt" 2>/dev/null
  umount -l "$ro" 2>/dev/null
  bash "$fixtures/ganesha.sh" stop "$tmp/ganesha" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT
source "$(dirname "$0")/../lib/checks.sh"

options=$(CAPSTAN_GANESHA_WATCH_PID=$$ bash "$fixtures/ganesha.sh" start "$tmp/ganesha") || exit 1
export_dir=$tmp/ganesha/export
mkdir -p "$export_dir/vol" "$mnt" "$ro"
chmod 0777 "$export_dir/vol"
chmod 0755 "$tmp"  # a non-root writer must reach the mount point

"$bin_dir/capstan-nfs-fuse" 127.0.0.1 "$export_dir" vol "$mnt" "$options" >"$tmp/fuse.log" 2>&1 &
fuse_pid=$!
check "the share is mounted through FUSE" eventually 10 bash -c "grep -q ' $mnt fuse.capstan-nfs ' /proc/mounts"
check "a file written through the mount" bash -c "echo hello > '$mnt/note'"
check "is on the server" bash -c "[[ \$(cat '$export_dir/vol/note') == hello ]]"
check "a file made on the server shows" bash -c "echo there > '$export_dir/vol/other' && [[ \$(cat '$mnt/other') == there ]]"
check "8 MiB written read back intact" bash -c \
  "head -c 8388608 /dev/urandom > '$tmp/blob' && cp '$tmp/blob' '$mnt/blob' && cmp '$tmp/blob' '$mnt/blob' && cmp '$tmp/blob' '$export_dir/vol/blob'"
check "appends" bash -c "echo more >> '$mnt/note' && [[ \$(wc -l < '$export_dir/vol/note') == 2 ]]"
check "directories and renames" bash -c \
  "mkdir -p '$mnt/d/e' && mv '$mnt/note' '$mnt/d/e/moved' && [[ -f '$export_dir/vol/d/e/moved' && ! -e '$mnt/note' ]]"
check "symlinks" bash -c "ln -s e/moved '$mnt/d/link' && [[ \$(readlink '$mnt/d/link') == e/moved && \$(head -1 '$mnt/d/link') == hello ]]"
check "modes" bash -c "chmod 0640 '$mnt/other' && [[ \$(stat -c %a '$export_dir/vol/other') == 640 ]]"
check "truncation" bash -c "truncate -s 3 '$mnt/blob' && [[ \$(stat -c %s '$export_dir/vol/blob') == 3 ]]"
check "listing" bash -c "[[ \$(ls '$mnt' | tr '\n' ' ') == 'blob d other ' ]]"
check "removal" bash -c "rm -r '$mnt/d' '$mnt/blob' && [[ ! -e '$export_dir/vol/d' ]]"
check "chgrp (the fsGroup change) reaches the server" bash -c "chgrp 3000 '$mnt/other' && [[ \$(stat -c %g '$export_dir/vol/other') == 3000 ]]"
check "a non-root writer owns its file" bash -c \
  "setpriv --reuid 1000 --regid 1000 --clear-groups sh -c 'echo mine > $mnt/theirs' && [[ \$(stat -c %u:%g '$export_dir/vol/theirs') == 1000:1000 ]]"
check "df sees the server's filesystem" bash -c "df -P '$mnt' | tail -1 | awk '{ exit !(\$2 > 0) }'"
check "unmounting ends the helper" bash -c "fusermount3 -u '$mnt' && for i in \$(seq 50); do kill -0 $fuse_pid 2>/dev/null || exit 0; sleep 0.1; done; exit 1"

"$bin_dir/capstan-nfs-fuse" 127.0.0.1 "$export_dir" vol "$ro" "$options,ro" >"$tmp/fuse-ro.log" 2>&1 &
check "a read-only mount" eventually 10 bash -c "grep -q ' $ro fuse.capstan-nfs ro,' /proc/mounts"
check "reads" bash -c "[[ \$(cat '$ro/other') == there ]]"
check "and refuses writes" bash -c "! echo x > '$ro/new' 2>/dev/null"
check "a server that is not there is a clear error" contains "connecting to nfs://127.0.0.1$export_dir" \
  "$bin_dir/capstan-nfs-fuse" 127.0.0.1 "$export_dir" vol "$tmp" "port=1,mountport=1"

echo "$passed passed, $failed failed"
((failed == 0))

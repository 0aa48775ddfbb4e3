#!/bin/bash
# Checks the systemd units in packaging/systemd with `systemd-analyze verify`, pointing their
# ExecStart at the binaries just built (the installed paths do not exist in a build tree).
# Any warning fails the test.
set -euo pipefail
src=${1:?usage: verify_units.sh PACKAGING_DIR BIN_DIR}
bin=${2:?BIN_DIR missing}
if ! command -v systemd-analyze >/dev/null; then
  echo "SKIP: systemd-analyze is not installed (apt install systemd)"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for unit in "$src"/systemd/*.service; do
  sed "s#/usr/local/bin/#$bin/#g" "$unit" >"$tmp/$(basename "$unit")"
done
out=$(cd "$tmp" && systemd-analyze verify --man=no ./*.service 2>&1 || true)
# Units ordered after targets that exist only on a booted system are fine; anything else is not.
out=$(grep -v -e "network-online.target" <<<"$out" || true)
if [ -n "$out" ]; then
  echo "$out"
  exit 1
fi
grep -q '^Type=notify' "$tmp/capstan-kubelet.service"
grep -q '^Type=notify' "$tmp/capstan-cri.service"
grep -q '^Type=notify' "$tmp/capstan-server.service"
# The node units join a cluster with the token kubeconfig named in their environment file.
grep -q '^EnvironmentFile=-/etc/default/capstan-kubelet' "$tmp/capstan-kubelet.service"
echo "units verified: $(cd "$tmp" && ls ./*.service | xargs)"

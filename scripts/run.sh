#!/usr/bin/env bash
# Builds capstan and starts its main job with embedded defaults: `capstan up` makes this
# machine a one-node cluster (capstan-server on :6443 with SQLite, capstan-cri with the default
# pod network, capstan-kubelet joined with a join token), state in /var/lib/capstan, and
# prints where the admin kubeconfig is. Extra arguments go to `capstan up` (see
# `build/bin/capstan up --help`). `build/bin/capstan down` stops it all again.
# Run as root (or with sudo where it is installed).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $(id -u) != 0 ]]; then
  echo "scripts/run.sh: run as root (containers, cgroups and the pod network need it)" >&2
  exit 1
fi
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAPSTAN_BUILD_TESTS=OFF >/dev/null
ninja -C build capstan capstan-server capstan-cri capstan-monitor capstan-cni capstan-kubelet
mkdir -p /etc/kubernetes/manifests
exec build/bin/capstan up "$@"

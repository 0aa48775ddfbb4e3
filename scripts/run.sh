#!/usr/bin/env bash
# Builds capstan and starts its main job with embedded defaults: capstan-cri serving the CRI
# on unix:///run/capstan/cri.sock (state in /var/lib/capstan and /run/capstan), with
# capstan's CNI plugins in /opt/cni/bin and, unless /etc/cni/net.d already has a network,
# the default pod network (bridge cni0, 10.88.0.0/16, host-local, portmap, loopback); and
# capstan-kubelet over it, running the static pods in /etc/kubernetes/manifests (healthz on
# 127.0.0.1:10248; the :10250 API admits only clients of a configured client CA).
# Extra arguments go to capstan-kubelet (e.g. --config FILE, --log-level debug). Ctrl-C stops
# both daemons; pods keep running and are adopted by the next start.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAPSTAN_BUILD_TESTS=OFF >/dev/null
ninja -C build capstan-cri capstan-monitor capstan-cni capstan-kubelet
install -d /opt/cni/bin
install -m 0755 build/bin/cni/capstan-cni /opt/cni/bin/capstan-cni
for plugin in bridge host-local loopback portmap; do
  # Another vendor's plugin of that name stays; capstan's links are refreshed.
  if [[ -e "/opt/cni/bin/$plugin" && ! -L "/opt/cni/bin/$plugin" ]]; then
    echo "keeping the existing /opt/cni/bin/$plugin" >&2
  else
    ln -sfn capstan-cni "/opt/cni/bin/$plugin"
  fi
done
build/bin/capstan-cri --write-default-cni-config
mkdir -p /etc/kubernetes/manifests
build/bin/capstan-cri &
cri=$!
trap 'kill -TERM "$cri" 2>/dev/null; wait "$cri"' EXIT
build/bin/capstan-kubelet "$@"

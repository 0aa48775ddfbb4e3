#!/usr/bin/env bash
# Installs everything capstan builds and tests with, from Debian 12's archive only.
# Usage: scripts/install-deps.sh [--test]   (--test adds the peers and fixtures the tests use)
set -euo pipefail

build_pkgs=(
  build-essential cmake pkg-config ninja-build
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libseccomp-dev libcap-dev libnl-3-dev libnl-route-3-dev libnftables-dev nftables
  libboost-dev libfmt-dev nlohmann-json3-dev libyaml-cpp-dev libcli11-dev
  libarchive-dev libcurl4-openssl-dev libssl-dev zlib1g-dev libsystemd-dev libsqlite3-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  libnfs-dev libfuse3-dev
)
# Peers and fixtures: the busybox image is built from busybox-static, served by
# docker-registry on 127.0.0.1; containerd/runc/crun and the reference CNI plugins are
# what the benchmarks and interop tests compare against.
test_pkgs=(
  busybox-static docker-registry skopeo umoci
  containerd runc crun containernetworking-plugins
  iproute2 iptables nftables procps psmisc util-linux kmod curl openssl
  systemd
  fuse3 nfs-ganesha nfs-ganesha-vfs libnfs-utils
)

want=("${build_pkgs[@]}")
if [[ "${1:-}" == "--test" ]]; then
  want+=("${test_pkgs[@]}")
fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Services the packages ship are started by our tests, never by the package.
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
  rm -f /usr/sbin/policy-rc.d
fi

#!/usr/bin/env bash
# Builds capstan and starts its main job with embedded defaults: capstan-cri serving the CRI
# on unix:///run/capstan/cri.sock (state in /var/lib/capstan and /run/capstan).
# Extra arguments go to capstan-cri (e.g. --config FILE, --log-level debug).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAPSTAN_BUILD_TESTS=OFF >/dev/null
ninja -C build capstan-cri capstan-monitor
exec build/bin/capstan-cri "$@"

#!/usr/bin/env bash
# Builds capstan and runs the whole test suite (unit tests, then the privileged integration
# tests when run as root). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --test
werror=OFF
[[ "${CI:-}" == "true" ]] && werror=ON
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAPSTAN_WERROR=$werror
ninja -C build
cd build
ctest --output-on-failure --timeout 600 -j1 "$@"

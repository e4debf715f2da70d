#!/usr/bin/env bash
# Installs dependencies (scripts/setup.sh) and builds lowp into build/ (Release, warnings as errors).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DLOWP_WERROR=ON > /dev/null
cmake --build build -j"$(nproc)"

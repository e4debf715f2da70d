#!/usr/bin/env bash
# Installs dependencies (scripts/setup.sh) and builds lowp into build/ (Release, warnings as errors).
# The CUDA backend is built whenever the toolkit is at /usr/local/cuda (or nvcc is on PATH);
# LOWP_CUDA_ARCHITECTURES narrows its GPU targets (default 80;86;89;90).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cuda=()
if [ -x /usr/local/cuda/bin/nvcc ] || command -v nvcc > /dev/null; then
  cuda=(-DLOWP_CUDA=ON "-DCMAKE_CUDA_ARCHITECTURES=${LOWP_CUDA_ARCHITECTURES:-80;86;89;90}")
fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DLOWP_WERROR=ON "${cuda[@]}" > /dev/null
cmake --build build -j"$(nproc)"

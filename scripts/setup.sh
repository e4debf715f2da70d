#!/usr/bin/env bash
# Installs every build and test dependency from Debian's packages. Idempotent: packages already
# present are skipped, so a second run costs a few seconds.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config
  libonnx-dev libprotobuf-dev protobuf-compiler
  libdnnl-dev ocl-icd-opencl-dev zlib1g-dev libxxhash-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev nlohmann-json3-dev libstb-dev libfmt-dev
  libonnx-testdata dataset-fashion-mnist
  # scripts/fuzz.sh: clang with libFuzzer and the sanitizer runtimes, and clang's omp.h
  clang libclang-rt-14-dev libomp-14-dev
  # tests/compare_report_test renders `lowp compare --report` pages headless
  chromium
  # the Python package (pip install .; scripts/test_python.sh): a venv and the headers
  python3-venv python3-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

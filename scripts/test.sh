#!/usr/bin/env bash
# The whole test suite: set-up, build, unit / ONNX node / parity tests, the Python package's tests,
# then install lowp and build + run the embedding example against it through find_package(lowp).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)"
scripts/check_test_skips.sh build  # only GPU tests may skip
scripts/test_python.sh              # the Python package (pip install .), its pytest suite
rm -rf build/install build/consumer
cmake --install build --prefix build/install > /dev/null
cmake -S examples/find_package_check -B build/consumer -G Ninja \
  -DCMAKE_PREFIX_PATH="$PWD/build/install" > /dev/null
cmake --build build/consumer
build/consumer/embed_example models/resnet18_fashion.onnx 4
echo "all tests passed"

#!/usr/bin/env bash
# Packs what the GPU machine needs to test and benchmark the CUDA backend. That machine has the
# CUDA toolkit, PyTorch and onnx but none of lowp's Debian libraries and no network, so the
# binaries are built here (sm_90, H100) and travel with the shared libraries they load besides
# glibc, libstdc++ and CUDA's, the Fashion-MNIST test set and a calibration cache made here from
# 512 training images. Output: .device/bundle.tar.xz (git-ignored); name `.device` in the device
# call's carry list and run scripts/device_run.sh there.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-device -G Ninja -DCMAKE_BUILD_TYPE=Release -DLOWP_WERROR=ON -DLOWP_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES=90 > /dev/null
cmake --build build-device -j"$(nproc)" --target lowp_cli cuda_backend_test onnx_node_test cuda_bench \
  make_test_models
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/lib" "$stage/data"
cp build-device/tools/lowp build-device/tests/cuda_backend_test build-device/tests/onnx_node_test \
  build-device/bench/cuda_bench build-device/tests/make_test_models "$stage/bin/"
strip "$stage"/bin/*
for lib in $(ldd "$stage"/bin/* | awk '/=>/ {print $3}' | sort -u); do
  case "$(basename "$lib")" in
    libc.so* | libm.so* | libpthread.so* | librt.so* | libdl.so* | ld-linux* | libgcc_s.so* | \
      libstdc++.so* | libcuda* | libcublas* | libcudart* | libcudnn*) ;;
    *) cp -L "$lib" "$stage/lib/" ;;
  esac
done
fashion=/usr/share/datasets/fashion-mnist
cp "$fashion"/t10k-images-idx3-ubyte.gz "$fashion"/t10k-labels-idx1-ubyte.gz "$stage/data/"
build-device/tools/lowp compile models/resnet18_fashion.onnx --precision int8 --calib "$fashion" \
  --calib-count 512 --calib-cache "$stage/data/fashion_calib.json" -o "$stage/fashion_int8.plan" \
  > /dev/null
rm "$stage/fashion_int8.plan"
mkdir -p .device
tar -C "$stage" -cJf .device/bundle.tar.xz .
exclude=$(git rev-parse --git-path info/exclude)
mkdir -p "$(dirname "$exclude")"
grep -qx '/.device/' "$exclude" 2> /dev/null || echo '/.device/' >> "$exclude"
ls -l .device/bundle.tar.xz

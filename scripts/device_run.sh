#!/usr/bin/env bash
# Runs on the GPU machine (device tool, carry: .device) after scripts/device_bundle.sh here:
# CUDA tests (unit, ResNet-18 parity, int8 Fashion accuracy, ONNX node tests), compute-sanitizer
# memcheck on a ResNet-18 run, then bench/cuda_vs_pytorch.py. Everything lands in $OUT.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-/tmp/lowp-out}
mkdir -p "$out" /tmp/lowp
tar -C /tmp/lowp -xJf .device/bundle.tar.xz
# cuDNN comes with PyTorch there (pip package nvidia-cudnn-cu13), not with the toolkit.
cudnn=$(python3 -c 'import glob, os, nvidia; print(":".join(sorted({os.path.dirname(p) for d in nvidia.__path__ for p in glob.glob(d + "/**/libcudnn.so*", recursive=True)})))')
export LD_LIBRARY_PATH=/tmp/lowp/lib:/usr/local/cuda/lib64:${cudnn}:${LD_LIBRARY_PATH:-}
export LOWP_SOURCE_DIR=$PWD LOWP_FASHION_MNIST=/tmp/lowp/data LOWP_TEST_MODELS=/tmp/lowp/models
/tmp/lowp/bin/make_test_models "$LOWP_TEST_MODELS"
export LOWP_FASHION_CALIB_CACHE=/tmp/lowp/data/fashion_calib.json
LOWP_ONNX_NODE_TESTS=$(python3 -c 'import onnx, os; print(os.path.dirname(onnx.__file__) + "/backend/test/data/node")')
export LOWP_ONNX_NODE_TESTS
nvidia-smi --query-gpu=name,driver_version --format=csv | tee "$out/gpu.txt"
/tmp/lowp/bin/cuda_backend_test 2>&1 | tee "$out/cuda_backend_test.log"
/tmp/lowp/bin/onnx_node_test --gtest_filter='*Cuda*' 2>&1 | tail -40 | tee "$out/onnx_node_cuda.log"
python3 - <<'PY'
import numpy as np
np.save("/tmp/lowp/x.npy", np.random.default_rng(1).standard_normal((2, 3, 64, 64)).astype(np.float32))
PY
for p in fp32 fp16 int8; do
  extra=()
  [ "$p" = int8 ] && extra=(--calib-cache "$LOWP_FASHION_CALIB_CACHE")
  compute-sanitizer --tool memcheck --error-exitcode 9 /tmp/lowp/bin/lowp run \
    models/resnet18_fashion.onnx --device cuda --precision "$p" "${extra[@]}" --keep-io-types \
    /tmp/lowp/x.npy > "$out/memcheck_$p.log" 2>&1
  echo "memcheck $p: rc=$?" | tee -a "$out/memcheck.txt"
done
PYTHONUNBUFFERED=1 python3 bench/cuda_vs_pytorch.py --cuda-bench /tmp/lowp/bin/cuda_bench \
  --model "$LOWP_TEST_MODELS/resnet18_imagenet_arch.onnx" --out "$out/cuda_vs_pytorch.json" 2>&1 | tail -80

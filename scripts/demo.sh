#!/usr/bin/env bash
# The main job on the bundled default: the trained Fashion-MNIST ResNet-18 compiled in fp32, fp16
# and int8 (calibrated on 512 Fashion-MNIST training images) and compared side by side on a bundled
# test image, then the top-5 classes of eight bundled test images.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh > /dev/null
build/tools/lowp compare models/resnet18_fashion.onnx --precisions fp32,fp16,int8 \
  --image models/fashion_samples/00_ankle_boot.png \
  --calib /usr/share/datasets/fashion-mnist --calib-count 512
echo
build/tools/lowp run models/resnet18_fashion.onnx --preprocess fashion --top-k 5 \
  $(printf -- '--image %s ' models/fashion_samples/*.png)

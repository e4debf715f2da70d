#!/usr/bin/env bash
# The main job on the bundled default: classify eight Fashion-MNIST test images with the trained
# ResNet-18, printing the top-5 classes and probabilities of each.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh > /dev/null
build/tools/lowp run models/resnet18_fashion.onnx --preprocess fashion --top-k 5 \
  $(printf -- '--image %s ' models/fashion_samples/*.png)

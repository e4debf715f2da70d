// The ImageNet-shaped ResNet-18 that tests and benchmarks use, built deterministically here so a
// clone needs no model from elsewhere: torchvision's resnet18 graph as torch.onnx.export writes it
// with batch norm folded (Conv with bias, Relu, MaxPool, residual Add, GlobalAveragePool, Flatten,
// Gemm), input "input" [N,3,224,224], output "logits" [N,1000], opset 13. Weights are a fixed-seed
// He-style initialisation from integer arithmetic only (the same bytes on every machine), scaled
// so activations stay of order one through all 8 residual blocks. Its logits mean nothing; it is
// for shapes, speed and parity (tests/data holds ONNX Runtime's logits for it).
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>

#include "lowp/tensor.h"

namespace lowp::testing {

onnx::ModelProto resnet18_imagenet_model();

// `batch` image-like inputs [batch,3,224,224]: per-image block patterns, per-channel offsets and
// gradients, fixed-seed noise; roughly the range of ImageNet-normalised photos. Deterministic.
Tensor resnet18_imagenet_input(int64_t batch);

}  // namespace lowp::testing

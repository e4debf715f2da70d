// Streaming per-channel mean of an activation: channel = axis 1 ([N, C, ...] images, [N, K]
// features), averaged over every other axis. Bias correction compares a layer's input means in
// the fp32 graph with those of the same input quantized.
#pragma once

#include <cstdint>
#include <vector>

#include "lowp/graph.h"
#include "lowp/tensor.h"

namespace lowp {

class ChannelMeans {
 public:
  // f32 tensors of rank >= 2 only (others are ignored); every batch must have the same channels
  // (a lowp::Error otherwise). Non-finite values count as 0. With `quantize` (per-tensor params),
  // each value is first quantized and dequantized with it: the means an int8 consumer sees.
  void observe(const Tensor& t, const QuantParams* quantize = nullptr);
  bool empty() const { return count_ == 0; }
  std::vector<double> means() const;  // one per channel; empty when nothing was observed

 private:
  std::vector<double> sums_;
  uint64_t count_ = 0;  // elements per channel seen
};

}  // namespace lowp

// Bias correction for int8 Conv and Gemm, per output channel (empirical, as in Nagel et al.'s
// data-free quantization paper and NNCF's fast bias correction).
//
// An int8 layer computes W_q . x_q where the fp32 graph computed W . x: its weights are rounded
// per channel and its input is clipped and rounded to the input's int8 range. Rounding noise
// averages out; clipping (the calibrators cut the tails: mse, entropy, percentile) and the
// weights' rounding do not, and shift each output channel's mean. Because a Conv or Gemm is
// linear before its bias and activation, that mean is W . E[x] summed over the window (each tap
// weighted by the share of output positions where it falls inside the input, so zero padding
// counts), and the shift per channel is
//     delta_o = (W . E[x] + b)_o  -  (W_q . E[q(x)] + b_q)_o,
// with E[x] the channel means of the layer's input in the fp32 graph and E[q(x)] those of the
// same fp32 input quantized and dequantized with the int8 layer's input parameters (both on the
// calibration data). Each layer is corrected for the error it makes itself, on fp32 inputs:
// correcting each for the error it receives as well would count an upstream layer's shift again
// once that layer is corrected. delta goes into the int32 bias (made when the layer had none),
// before the activation, so a fused Relu / Clip sees the corrected value.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "passes/pass.h"

namespace lowp {

using ChannelMeanMap = std::map<std::string, std::vector<double>>;

// Per output channel of a Conv (weight [O, C/group, k...]) or Gemm (B [N, K] with transB, else
// [K, N]): the mean of W . x before bias, for an input whose channel c has mean input_means[c]
// (dims of the input for the Conv's window; unknown spatial sizes count every tap fully). Empty
// when the node, weight or means do not fit.
std::vector<double> linear_output_means(const Node& node, const Tensor& weight,
                                        const std::vector<double>& input_means,
                                        const Dims& input_dims);

// The fp32 graph's mean of every Conv / Gemm's output including its bias (keyed by node name),
// from the channel means of their inputs (keyed by value name).
ChannelMeanMap fp32_output_means(const Graph& fp32_graph, const ChannelMeanMap& value_means);

// Runs on an int8 graph. By node name: `fp32_means`, fp32_output_means of the graph before
// quantization; `quantized_input_means`, E[q(x)] per input channel of that node. Corrects every
// int8 Conv / Gemm that both maps hold.
class BiasCorrectionPass : public Pass {
 public:
  BiasCorrectionPass(ChannelMeanMap fp32_means, ChannelMeanMap quantized_input_means);
  const char* name() const override { return "bias-correction"; }
  bool run(Graph& graph, PassContext& ctx) const override;

 private:
  ChannelMeanMap fp32_means_;
  ChannelMeanMap quantized_input_means_;
};

}  // namespace lowp

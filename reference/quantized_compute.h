// Reference semantics of the int8 contract (docs/DESIGN.md, "Quantized tensors"): a quantized op
// is its float op run on dequantized inputs, with the result quantized with the output Value's
// QuantParams. Also the per-tensor / per-axis (de)quantization that QuantizeLinear and
// DequantizeLinear use.
#pragma once

#include <cstdint>
#include <vector>

#include "reference/kernel_args.h"
#include "reference/reference_kernels.h"
#include "lowp/graph.h"
#include "lowp/tensor.h"

namespace lowp::reference {

// Scales and zero points for a tensor, one pair (per tensor, axis < 0) or one per index along axis.
struct AxisParams {
  std::vector<float> scales;
  std::vector<int32_t> zero_points;  // empty: all zero
  int64_t axis = -1;
};

// f32 tensor of (q - zero_point) * scale; q is s8, u8 or s32.
Tensor dequantize_tensor(const Tensor& q, const AxisParams& p);
// Writes saturate(round_half_even(real / scale) + zero_point) into `out` (s8, u8 or s32).
void quantize_tensor(const Tensor& real, const AxisParams& p, Tensor& out);

AxisParams axis_params(const QuantParams& q);

// When `node` is a quantized op (an s8/u8/s32 input or output whose Value carries QuantParams),
// runs `float_kernel` on dequantized inputs, quantizes its result into the outputs and returns
// true; otherwise returns false and does nothing.
bool run_dequantized(const Node& node, const KernelInputs& inputs, const KernelOutputs& outputs,
                     Kernel float_kernel);

}  // namespace lowp::reference

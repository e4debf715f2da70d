// QuantizeLinear and DequantizeLinear (ONNX opsets 10-21): per-tensor or per-axis (`axis`, default
// 1) scale and zero point; round half to even and saturate to the output type.
#include "reference/float_io.h"
#include "reference/kernel_groups.h"
#include "reference/quantized_compute.h"

namespace lowp::reference {
namespace {

AxisParams params_from_inputs(const Node& node, const KernelInputs& inputs) {
  AxisParams p;
  p.scales = inputs[1]->to_float();
  if (inputs.size() > 2 && inputs[2]) {
    for (int64_t z : inputs[2]->to_int64()) p.zero_points.push_back(static_cast<int32_t>(z));
  }
  if (inputs[1]->rank() == 1 && inputs[1]->numel() > 1) {
    int64_t axis = node.attr_int("axis", 1);
    if (axis < 0) axis += inputs[0]->rank();
    p.axis = axis;
  }
  return p;
}

void quantize_linear_kernel(const Node& node, const KernelInputs& inputs,
                            const KernelOutputs& outputs) {
  quantize_tensor(*inputs[0], params_from_inputs(node, inputs), *outputs[0]);
}

void dequantize_linear_kernel(const Node& node, const KernelInputs& inputs,
                              const KernelOutputs& outputs) {
  const Tensor real = dequantize_tensor(*inputs[0], params_from_inputs(node, inputs));
  store_floats(load_floats(real), *outputs[0]);
}

}  // namespace

void append_quant_kernels(KernelTable& out) {
  out["QuantizeLinear"] = quantize_linear_kernel;
  out["DequantizeLinear"] = dequantize_linear_kernel;
}

}  // namespace lowp::reference

#include "reference/quantized_compute.h"

#include <optional>
#include <string>

#include "reference/float_io.h"
#include "reference/quant_math.h"
#include "lowp/error.h"

namespace lowp::reference {
namespace {

bool is_int_storage(DataType t) {
  return t == DataType::kS8 || t == DataType::kU8 || t == DataType::kS32;
}

// Element i's index along p.axis of a tensor with `dims` is (i / inner) % count.
struct AxisWalk {
  int64_t inner = 1;
  int64_t count = 1;
  AxisWalk(const Dims& dims, const AxisParams& p) {
    if (p.scales.size() <= 1 || p.axis < 0) return;
    count = dims.at(static_cast<size_t>(p.axis));
    for (size_t d = static_cast<size_t>(p.axis) + 1; d < dims.size(); ++d) inner *= dims[d];
  }
  size_t at(int64_t i) const { return static_cast<size_t>((i / inner) % count); }
};

int32_t zero_point(const AxisParams& p, size_t c) {
  if (p.zero_points.empty()) return 0;
  return p.zero_points[p.zero_points.size() == 1 ? 0 : c];
}
float scale(const AxisParams& p, size_t c) { return p.scales[p.scales.size() == 1 ? 0 : c]; }

// The Value's QuantParams when tensor t is a quantized operand of this node.
std::optional<AxisParams> operand_params(const Value* v, const Tensor* t) {
  if (!v || !t || !v->quant || !is_int_storage(t->dtype())) return std::nullopt;
  return axis_params(*v->quant);
}

}  // namespace

AxisParams axis_params(const QuantParams& q) { return {q.scales, q.zero_points, q.axis}; }

Tensor dequantize_tensor(const Tensor& q, const AxisParams& p) {
  const std::vector<int64_t> values = q.to_int64();
  Tensor out(DataType::kF32, q.dims());
  float* dst = out.data<float>();
  const AxisWalk walk(q.dims(), p);
  for (int64_t i = 0; i < q.numel(); ++i) {
    const size_t c = walk.at(i);
    dst[i] = dequantize_value(static_cast<int32_t>(values[static_cast<size_t>(i)]), scale(p, c),
                              zero_point(p, c));
  }
  return out;
}

void quantize_tensor(const Tensor& real, const AxisParams& p, Tensor& out) {
  const std::vector<float> values = load_floats(real);
  const AxisWalk walk(real.dims(), p);
  const DataType t = out.dtype();
  for (int64_t i = 0; i < real.numel(); ++i) {
    const size_t c = walk.at(i);
    const int32_t q =
        quantize_value(values[static_cast<size_t>(i)], scale(p, c), zero_point(p, c), t);
    if (t == DataType::kS8) {
      out.data<int8_t>()[i] = static_cast<int8_t>(q);
    } else if (t == DataType::kU8) {
      out.data<uint8_t>()[i] = static_cast<uint8_t>(q);
    } else {
      out.data<int32_t>()[i] = q;
    }
  }
}

bool run_dequantized(const Node& node, const KernelInputs& inputs, const KernelOutputs& outputs,
                     Kernel float_kernel) {
  bool quantized = false;
  std::vector<Tensor> real_inputs(inputs.size());
  KernelInputs float_inputs(inputs);
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (auto p = operand_params(node.input(i), inputs[i])) {
      real_inputs[i] = dequantize_tensor(*inputs[i], *p);
      float_inputs[i] = &real_inputs[i];
      quantized = true;
    }
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Value* v = i < node.outputs.size() ? node.outputs[i] : nullptr;
    quantized = quantized || operand_params(v, outputs[i]).has_value();
  }
  if (!quantized) return false;
  std::vector<Tensor> real_outputs(outputs.size());
  KernelOutputs float_outputs(outputs.size(), nullptr);
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (!outputs[i]) continue;
    if (outputs[i]->dtype() == DataType::kS64 || outputs[i]->dtype() == DataType::kBool) {
      float_outputs[i] = outputs[i];  // not a real-valued output (MaxPool's Indices)
      continue;
    }
    real_outputs[i] = Tensor(DataType::kF32, outputs[i]->dims());
    float_outputs[i] = &real_outputs[i];
  }
  float_kernel(node, float_inputs, float_outputs);
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (!outputs[i] || float_outputs[i] == outputs[i]) continue;
    if (auto p = operand_params(node.outputs[i], outputs[i])) {
      quantize_tensor(real_outputs[i], *p, *outputs[i]);
    } else if (is_int_storage(outputs[i]->dtype())) {
      throw_error(ErrorCode::kInvalidModel, node.describe() + ": output '" + node.outputs[i]->name +
                                                "' is integer but has no QuantParams");
    } else {
      *outputs[i] = real_outputs[i].cast(outputs[i]->dtype());
    }
  }
  return true;
}

}  // namespace lowp::reference

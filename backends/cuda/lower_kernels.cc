// Lowering of the ops that are one lowp kernel each (pools, activations, Add, Softmax, Q / DQ,
// Cast) and of the views that are no step at all (Flatten, Reshape, Identity, Dropout).
#include <cmath>
#include <string>

#include "backends/cuda/cuda_lowering.h"

namespace lowp::cuda {
namespace {

// Every pooling window along one axis sees at least one input element.
bool covered(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad, int64_t dil) {
  for (int64_t o = 0; o < out; ++o) {
    bool any = false;
    for (int64_t t = 0; t < k && !any; ++t) {
      const int64_t i = o * stride - pad + t * dil;
      any = i >= 0 && i < in;
    }
    if (!any) return false;
  }
  return true;
}

PoolGeometry pool_geometry(const Node& n, const Dims& xd) {
  const Dims kernel = n.attr_ints("kernel_shape");
  const nn::SpatialGeometry sg = nn::window_geometry(n, {xd[2], xd[3]}, kernel, true);
  // Every window must see at least one input element (the kernels define no value otherwise).
  if (!covered(xd[2], sg.out[0], kernel[0], sg.strides[0], sg.pad_begin[0], sg.dilations[0]) ||
      !covered(xd[3], sg.out[1], kernel[1], sg.strides[1], sg.pad_begin[1], sg.dilations[1])) {
    unsupported(n, "does not run pooling windows that lie entirely in the padding");
  }
  return window_geometry_nhwc<PoolGeometry>(xd, kernel, sg);
}

}  // namespace

void Lowering::lower_pool(const Node& n) {
  const Value* x = n.input(0);
  const Value* y = n.outputs.at(0);
  if (n.outputs.size() > 1 && is_used(n.outputs[1])) {
    unsupported(n, "does not return MaxPool indices");
  }
  const int src = slot_in(n, x, Layout::kNhwc);
  const Dims& xd = value(n, x).dims;
  if (xd.size() != 4) unsupported(n, "runs 2-D pooling only");
  const PoolGeometry g = pool_geometry(n, xd);
  const DType t = device_type(n, x->dtype);
  const int out = define(y, Layout::kNhwc);
  if (n.op_type == "MaxPool") {
    if (t == DType::kS8 && !(x->quant && y->quant && *x->quant == *y->quant)) {
      unsupported(n, "runs int8 MaxPool only with the output's params equal to the input's");
    }
    add_step(n.describe() + ": max pool", MaxPoolStep{t, g}, {src}, {}, {out});
    return;
  }
  const bool include_pad = n.attr_int("count_include_pad", 0) != 0;
  if (include_pad && n.attr_int("ceil_mode", 0) != 0) {
    unsupported(n, "does not run count_include_pad with ceil_mode (windows past the padding)");
  }
  const QuantS8 in_q = t == DType::kS8 ? value_quant(n, x) : QuantS8{};
  const QuantS8 out_q = t == DType::kS8 ? value_quant(n, y) : QuantS8{};
  add_step(n.describe() + ": average pool", AvgPoolStep{t, g, include_pad, in_q, out_q}, {src}, {},
           {out});
}

void Lowering::lower_global_pool(const Node& n) {
  const Value* x = n.input(0);
  const Value* y = n.outputs.at(0);
  const int src = slot_in(n, x, Layout::kNhwc);
  const Dims& xd = value(n, x).dims;
  if (xd.size() != 4) unsupported(n, "runs 2-D global pooling only");
  const DType t = device_type(n, x->dtype);
  const QuantS8 in_q = t == DType::kS8 ? value_quant(n, x) : QuantS8{};
  const QuantS8 out_q = t == DType::kS8 ? value_quant(n, y) : QuantS8{};
  const int out = define(y, Layout::kNhwc);
  const GlobalAvgPoolStep step{
      t,    static_cast<int>(xd[0]), static_cast<int>(xd[2] * xd[3]), static_cast<int>(xd[1]), in_q,
      out_q};
  add_step(n.describe() + ": global average pool", step, {src}, {}, {out});
}

void Lowering::lower_activation(const Node& n) {
  const Value* x = n.input(0);
  const DeviceValue dv = value(n, x);
  const DType t = device_type(n, dv.dtype);
  if (t == DType::kS8) unsupported(n, "runs stand-alone activations on floats only");
  const std::optional<FusedActivation> a = activation_of(n);  // Relu, LeakyRelu or Clip here
  if (!a) unsupported(n, "needs constant scalar Clip bounds");
  const int out = define(n.outputs.at(0), dv.layout);
  const ActivationStep step{t, element_count(dv.dims), kernel_activation(n, *a)};
  add_step(n.describe(), step, {dv.slot}, {}, {out});
}

void Lowering::lower_add(const Node& n) {
  const Value* x0 = n.input(0);
  const Value* x1 = n.input(1);
  const DeviceValue a0 = value(n, x0);
  if (value(n, x1).dims != a0.dims || x0->dtype != x1->dtype) {
    unsupported(n, "adds tensors of equal dims and type only (no broadcasting yet)");
  }
  const int s1 = slot_in(n, x1, a0.layout);
  const DType t = device_type(n, a0.dtype);
  const Value* y = n.outputs.at(0);
  AddStep step;
  step.type = t;
  step.count = element_count(a0.dims);
  if (t == DType::kS8) {
    step.a_q = value_quant(n, x0);
    step.b_q = value_quant(n, x1);
    step.out_q = value_quant(n, y);
  }
  step.act = fused_activation(n);
  const int out = define(y, a0.layout);
  add_step(n.describe(), step, {a0.slot}, {s1}, {out});
}

void Lowering::lower_view(const Node& n) {
  for (size_t i = 1; i < n.outputs.size(); ++i) {
    if (is_used(n.outputs[i])) {
      unsupported(n, "does not produce " + n.op_type + "'s optional outputs");
    }
  }
  const Value* x = n.input(0);
  const Value* y = n.outputs.at(0);
  const DeviceValue dv = value(n, x);
  if (n.op_type == "Identity" || n.op_type == "Dropout") return alias(y, dv.slot, dv.layout);
  alias(y, slot_in(n, x, Layout::kPlain), Layout::kPlain);
}

void Lowering::lower_softmax(const Node& n) {
  const Value* x = n.input(0);
  if (x->dtype != DataType::kF32) unsupported(n, "runs Softmax in f32 only");
  const int src = slot_in(n, x, Layout::kPlain);
  const Dims& d = value(n, x).dims;
  int64_t axis = n.attr_int("axis", -1);
  if (axis < 0) axis += static_cast<int64_t>(d.size());
  if (axis != static_cast<int64_t>(d.size()) - 1 && n.attr_int("_coerce_2d", 0) == 0) {
    unsupported(n, "runs Softmax over the last axis only");
  }
  int64_t rows = 1, cols = 1;
  for (size_t i = 0; i < d.size(); ++i) (static_cast<int64_t>(i) < axis ? rows : cols) *= d[i];
  const int out = define(n.outputs.at(0), Layout::kPlain);
  add_step(n.describe(), SoftmaxStep{static_cast<int>(rows), static_cast<int>(cols)}, {src}, {},
           {out});
}

void Lowering::lower_quantize(const Node& n) {
  const Value* x = n.input(0);
  const Value* y = n.outputs.at(0);
  const DeviceValue dv = value(n, x);
  const DType ft = device_type(n, x->dtype);
  if (ft == DType::kS8) unsupported(n, "converts between int8 and f32 / f16 only");
  // int8 tensors live in NHWC: quantize a 4-D float input after converting it.
  const Layout layout = dv.dims.size() == 4 ? Layout::kNhwc : dv.layout;
  const int src = slot_in(n, x, layout);
  const int out = define(y, layout);
  const QuantizeStep step{true, ft, tensor_quant(n, *y, 1), element_count(dv.dims)};
  add_step(n.describe(), step, {src}, {}, {out});
}

void Lowering::lower_dequantize(const Node& n) {
  const Value* x = n.input(0);
  const Value* y = n.outputs.at(0);
  const DeviceValue dv = value(n, x);
  const DType ft = device_type(n, y->dtype);
  if (ft == DType::kS8) unsupported(n, "converts between int8 and f32 / f16 only");
  const int out = define(y, dv.layout);
  const QuantizeStep step{false, ft, tensor_quant(n, *x, 1), element_count(dv.dims)};
  add_step(n.describe(), step, {dv.slot}, {}, {out});
}

void Lowering::lower_cast(const Node& n) {
  const Value* x = n.input(0);
  const Value* y = n.outputs.at(0);
  const DeviceValue dv = value(n, x);
  if (x->dtype == y->dtype) return alias(y, dv.slot, dv.layout);
  const DType from = device_type(n, x->dtype), to = device_type(n, y->dtype);
  if (from == DType::kS8 || to == DType::kS8) unsupported(n, "casts between f32 and f16 only");
  const int out = define(y, dv.layout);
  add_step(n.describe(), ConvertStep{from, to, element_count(dv.dims)}, {dv.slot}, {}, {out});
}

}  // namespace lowp::cuda

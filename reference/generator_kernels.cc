// Kernels of the generator ops: Expand (broadcast to a shape), ConstantOfShape (fill) and Range.
// The output arrives with the dims the schema inferred from the inputs' values.
#include <algorithm>
#include <cstring>

#include "core/ops/broadcast.h"
#include "lowp/error.h"
#include "reference/kernel_args.h"
#include "reference/kernel_groups.h"
#include "reference/strided_loop.h"

namespace lowp::reference {
namespace {

void expand_kernel(const Node&, const KernelInputs& in, const KernelOutputs& out) {
  const size_t size = size_of(out[0]->dtype());
  const auto* src = static_cast<const char*>(in[0]->raw());
  auto* dst = static_cast<char*>(out[0]->raw());
  for_each_strided(
      out[0]->dims(), {broadcast_strides(in[0]->dims(), out[0]->dims())},
      [&](int64_t i, const int64_t* o) { std::memcpy(dst + i * size, src + o[0] * size, size); });
}

void constant_of_shape_kernel(const Node& node, const KernelInputs&, const KernelOutputs& out) {
  const Tensor* value = node.attr_tensor("value");
  if (!value) return;  // zeros: the output arrives zero-filled
  const size_t size = size_of(out[0]->dtype());
  auto* dst = static_cast<char*>(out[0]->raw());
  for (int64_t i = 0; i < out[0]->numel(); ++i) std::memcpy(dst + i * size, value->raw(), size);
}

// start + i * delta, in the inputs' type (f32 computed in f64, like ONNX's reference).
void range_kernel(const Node&, const KernelInputs& in, const KernelOutputs& out) {
  Tensor& y = *out[0];
  if (y.dtype() == DataType::kF32) {
    const double start = in[0]->to_float()[0], delta = in[2]->to_float()[0];
    for (int64_t i = 0; i < y.numel(); ++i) {
      y.data<float>()[i] = static_cast<float>(start + static_cast<double>(i) * delta);
    }
    return;
  }
  const int64_t start = in[0]->to_int64()[0], delta = in[2]->to_int64()[0];
  for (int64_t i = 0; i < y.numel(); ++i) {
    // In 128 bits: i * delta may pass int64 even where start + i * delta (within [start, limit))
    // does not (start INT64_MIN, delta INT64_MAX: found by UBSan).
    const auto v =
        static_cast<int64_t>(static_cast<__int128>(start) + static_cast<__int128>(i) * delta);
    if (y.dtype() == DataType::kS32) {
      y.data<int32_t>()[i] = static_cast<int32_t>(v);
    } else {
      y.data<int64_t>()[i] = v;
    }
  }
}

}  // namespace

void append_generator_kernels(KernelTable& out) {
  out["Expand"] = expand_kernel;
  out["ConstantOfShape"] = constant_of_shape_kernel;
  out["Range"] = range_kernel;
}

}  // namespace lowp::reference

// Unary elementwise kernels (activations and Clip) and the registration of the whole elementwise
// group. Float tensors compute in f32; Relu and Clip also run on integer tensors in their own type.
#include <algorithm>
#include <cmath>
#include <limits>

#include "reference/elementwise_kernels.h"
#include "reference/float_io.h"
#include "reference/kernel_groups.h"
#include "lowp/error.h"

namespace lowp::reference {
namespace {

using Inputs = KernelInputs;
using Outputs = KernelOutputs;

bool is_float(DataType t) {
  return t == DataType::kF32 || t == DataType::kF16 || t == DataType::kBF16;
}

[[noreturn]] void no_dtype_kernel(const Node& node, DataType dtype) {
  throw_error(ErrorCode::kUnsupported,
              node.describe() + ": no reference kernel for dtype " + name_of(dtype));
}

template <typename Fn>
void map_floats(const Node& node, const Tensor& in, Tensor& out, Fn&& fn) {
  if (!is_float(in.dtype())) no_dtype_kernel(node, in.dtype());
  std::vector<float> v = load_floats(in);
  for (float& x : v) x = fn(x);
  store_floats(v, out);
}

// Calls fn(T{}) with the C++ type of an integer dtype.
template <typename Fn>
void with_integer_type(const Node& node, DataType dtype, Fn&& fn) {
  switch (dtype) {
    case DataType::kS8:
      fn(int8_t{});
      break;
    case DataType::kU8:
      fn(uint8_t{});
      break;
    case DataType::kS32:
      fn(int32_t{});
      break;
    case DataType::kS64:
      fn(int64_t{});
      break;
    default:
      no_dtype_kernel(node, dtype);
  }
}

template <typename T>
T clip_value(T x, T lo, T hi) {
  // NaN passes through unchanged; lo > hi yields hi everywhere (ONNX).
  if (x < lo) x = lo;
  if (x > hi) x = hi;
  return x;
}

void relu_kernel(const Node& node, const Inputs& in, const Outputs& out) {
  if (is_float(in[0]->dtype())) {
    map_floats(node, *in[0], *out[0], [](float x) { return x > 0.f ? x : (x == x ? 0.f : x); });
    return;
  }
  with_integer_type(node, in[0]->dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* src = in[0]->data<T>();
    T* dst = out[0]->data<T>();
    for (int64_t i = 0; i < in[0]->numel(); ++i) dst[i] = src[i] > T{0} ? src[i] : T{0};
  });
}

void clip_kernel(const Node& node, const Inputs& in, const Outputs& out) {
  const Tensor* lo = in.size() > 1 ? in[1] : nullptr;
  const Tensor* hi = in.size() > 2 ? in[2] : nullptr;
  if (is_float(in[0]->dtype())) {
    const float l = lo ? load_floats(*lo).at(0) : -std::numeric_limits<float>::infinity();
    const float h = hi ? load_floats(*hi).at(0) : std::numeric_limits<float>::infinity();
    map_floats(node, *in[0], *out[0], [&](float x) { return clip_value(x, l, h); });
    return;
  }
  with_integer_type(node, in[0]->dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T l = lo ? lo->data<T>()[0] : std::numeric_limits<T>::lowest();
    const T h = hi ? hi->data<T>()[0] : std::numeric_limits<T>::max();
    const T* src = in[0]->data<T>();
    T* dst = out[0]->data<T>();
    for (int64_t i = 0; i < in[0]->numel(); ++i) dst[i] = clip_value(src[i], l, h);
  });
}

void leaky_relu_kernel(const Node& node, const Inputs& in, const Outputs& out) {
  const float alpha = node.attr_float("alpha", 0.01f);
  map_floats(node, *in[0], *out[0], [&](float x) { return x >= 0.f ? x : alpha * x; });
}

void sigmoid_kernel(const Node& node, const Inputs& in, const Outputs& out) {
  map_floats(node, *in[0], *out[0], [](float x) {
    // Written so that neither branch overflows exp().
    if (x >= 0.f) return 1.f / (1.f + std::exp(-x));
    const float e = std::exp(x);
    return e / (1.f + e);
  });
}

void tanh_kernel(const Node& node, const Inputs& in, const Outputs& out) {
  map_floats(node, *in[0], *out[0], [](float x) { return std::tanh(x); });
}

void hard_sigmoid_kernel(const Node& node, const Inputs& in, const Outputs& out) {
  const float alpha = node.attr_float("alpha", 0.2f);
  const float beta = node.attr_float("beta", 0.5f);
  map_floats(node, *in[0], *out[0],
             [&](float x) { return std::max(0.f, std::min(1.f, alpha * x + beta)); });
}

void hard_swish_kernel(const Node& node, const Inputs& in, const Outputs& out) {
  map_floats(node, *in[0], *out[0],
             [](float x) { return x * std::max(0.f, std::min(1.f, x / 6.f + 0.5f)); });
}

}  // namespace

void append_elementwise_kernels(KernelTable& out) {
  out["Relu"] = relu_kernel;
  out["LeakyRelu"] = leaky_relu_kernel;
  out["Clip"] = clip_kernel;
  out["Sigmoid"] = sigmoid_kernel;
  out["Tanh"] = tanh_kernel;
  out["HardSigmoid"] = hard_sigmoid_kernel;
  out["HardSwish"] = hard_swish_kernel;
  out["Add"] = add_kernel;
  out["Sub"] = sub_kernel;
  out["Mul"] = mul_kernel;
  out["Div"] = div_kernel;
  out["Sum"] = sum_kernel;
}

}  // namespace lowp::reference

// Add, Sub, Mul, Div and Sum with ONNX multidirectional broadcasting. Float tensors compute in f32;
// integer tensors compute in their own type (wrapping on overflow, Div truncating toward zero).
#include <cstdint>
#include <limits>
#include <type_traits>

#include "reference/elementwise_kernels.h"
#include "reference/float_io.h"
#include "reference/quantized_compute.h"
#include "reference/strided_loop.h"
#include "lowp/error.h"
#include "core/ops/broadcast.h"

namespace lowp::reference {
namespace {

enum class Arith { kAdd, kSub, kMul, kDiv };

template <typename T>
T apply_integer(const Node& node, Arith op, T a, T b) {
  using U = std::make_unsigned_t<T>;
  switch (op) {
    case Arith::kAdd:
      return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
    case Arith::kSub:
      return static_cast<T>(static_cast<U>(a) - static_cast<U>(b));
    case Arith::kMul:
      return static_cast<T>(static_cast<U>(a) * static_cast<U>(b));
    case Arith::kDiv:
      if (b == 0) {
        throw_error(ErrorCode::kInvalidArgument, node.describe() + ": integer division by zero");
      }
      // The one overflowing quotient (lowest / -1) wraps like two's complement negation.
      if constexpr (std::is_signed_v<T>) {
        if (b == -1) return static_cast<T>(U{0} - static_cast<U>(a));
      }
      return static_cast<T>(a / b);
  }
  return T{};
}

float apply_float(Arith op, float a, float b) {
  switch (op) {
    case Arith::kAdd:
      return a + b;
    case Arith::kSub:
      return a - b;
    case Arith::kMul:
      return a * b;
    case Arith::kDiv:
      return a / b;
  }
  return 0.f;
}

std::vector<std::vector<int64_t>> input_strides(const std::vector<const Tensor*>& in,
                                                const Dims& out_dims) {
  std::vector<std::vector<int64_t>> strides;
  for (const Tensor* t : in) strides.push_back(broadcast_strides(t->dims(), out_dims));
  return strides;
}

// out = in[0] op in[1] op in[2] ... (left to right), every input broadcast to the output's dims.
template <typename T>
void fold_integer(const Node& node, Arith op, const std::vector<const Tensor*>& in, Tensor& out) {
  std::vector<const T*> src;
  for (const Tensor* t : in) src.push_back(t->data<T>());
  T* dst = out.data<T>();
  for_each_strided(out.dims(), input_strides(in, out.dims()),
                   [&](int64_t i, const int64_t* offsets) {
                     T acc = src[0][offsets[0]];
                     for (size_t k = 1; k < src.size(); ++k) {
                       acc = apply_integer(node, op, acc, src[k][offsets[k]]);
                     }
                     dst[i] = acc;
                   });
}

void fold_float(Arith op, const std::vector<const Tensor*>& in, Tensor& out) {
  std::vector<std::vector<float>> src;
  for (const Tensor* t : in) src.push_back(load_floats(*t));
  std::vector<float> dst(static_cast<size_t>(out.numel()));
  for_each_strided(out.dims(), input_strides(in, out.dims()),
                   [&](int64_t i, const int64_t* offsets) {
                     float acc = src[0][static_cast<size_t>(offsets[0])];
                     for (size_t k = 1; k < src.size(); ++k) {
                       acc = apply_float(op, acc, src[k][static_cast<size_t>(offsets[k])]);
                     }
                     dst[static_cast<size_t>(i)] = acc;
                   });
  store_floats(dst, out);
}

void run_arithmetic(const Node& node, Arith op, const KernelInputs& in, const KernelOutputs& out) {
  for (size_t k = 0; k < in.size(); ++k) {
    if (!in[k]) {
      throw_error(ErrorCode::kInvalidArgument,
                  node.describe() + ": input " + std::to_string(k) + " is missing");
    }
  }
  Tensor& result = *out.at(0);
  switch (result.dtype()) {
    case DataType::kF32:
    case DataType::kF16:
    case DataType::kBF16:
      fold_float(op, in, result);
      break;
    case DataType::kS8:
      fold_integer<int8_t>(node, op, in, result);
      break;
    case DataType::kU8:
      fold_integer<uint8_t>(node, op, in, result);
      break;
    case DataType::kS32:
      fold_integer<int32_t>(node, op, in, result);
      break;
    case DataType::kS64:
      fold_integer<int64_t>(node, op, in, result);
      break;
    default:
      throw_error(ErrorCode::kUnsupported,
                  node.describe() + ": no kernel for dtype " + name_of(result.dtype()));
  }
}

}  // namespace

void add_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out) {
  if (run_dequantized(node, in, out, add_kernel)) return;  // int8 contract
  run_arithmetic(node, Arith::kAdd, in, out);
}
void sub_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out) {
  run_arithmetic(node, Arith::kSub, in, out);
}
void mul_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out) {
  run_arithmetic(node, Arith::kMul, in, out);
}
void div_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out) {
  run_arithmetic(node, Arith::kDiv, in, out);
}
void sum_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out) {
  run_arithmetic(node, Arith::kAdd, in, out);
}

}  // namespace lowp::reference

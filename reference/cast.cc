// Cast between every pair of lowp dtypes, following ONNX: float -> integer truncates toward zero,
// anything -> bool is "not zero", bool -> number is 0 or 1, floats round to nearest even.
#include <cmath>
#include <cstring>

#include "lowp/error.h"
#include "reference/float_io.h"
#include "reference/tensor_kernels.h"

namespace lowp::reference {
namespace {

// One element read either as a float (from float dtypes) or as an integer (from the others), so
// 64-bit integers never lose precision through a float.
struct Element {
  bool is_float = false;
  double f = 0.0;
  int64_t i = 0;
};

Element read(const Tensor& t, size_t k) {
  switch (t.dtype()) {
    case DataType::kF32:
      return {true, t.data<float>()[k], 0};
    case DataType::kF16:
      return {true, half_to_float(t.data<uint16_t>()[k]), 0};
    case DataType::kBF16:
      return {true, bf16_to_float(t.data<uint16_t>()[k]), 0};
    case DataType::kS8:
      return {false, 0.0, t.data<int8_t>()[k]};
    case DataType::kU8:
      return {false, 0.0, t.data<uint8_t>()[k]};
    case DataType::kS32:
      return {false, 0.0, t.data<int32_t>()[k]};
    case DataType::kS64:
      return {false, 0.0, t.data<int64_t>()[k]};
    case DataType::kBool:
      return {false, 0.0, t.data<uint8_t>()[k] ? 1 : 0};
    default:
      return {};
  }
}

float as_float(const Element& e) {
  return e.is_float ? static_cast<float>(e.f) : static_cast<float>(e.i);
}

int64_t as_integer(const Element& e) { return e.is_float ? saturating_int64(e.f) : e.i; }

bool as_bool(const Element& e) { return e.is_float ? e.f != 0.0 : e.i != 0; }

void write(Tensor& t, size_t k, const Element& e) {
  switch (t.dtype()) {
    case DataType::kF32:
      t.data<float>()[k] = as_float(e);
      break;
    case DataType::kF16:
      t.data<uint16_t>()[k] = float_to_half(as_float(e));
      break;
    case DataType::kBF16:
      t.data<uint16_t>()[k] = float_to_bf16(as_float(e));
      break;
    case DataType::kS8:
      t.data<int8_t>()[k] = static_cast<int8_t>(as_integer(e));
      break;
    case DataType::kU8:
      t.data<uint8_t>()[k] = static_cast<uint8_t>(as_integer(e));
      break;
    case DataType::kS32:
      t.data<int32_t>()[k] = static_cast<int32_t>(as_integer(e));
      break;
    case DataType::kS64:
      t.data<int64_t>()[k] = as_integer(e);
      break;
    case DataType::kBool:
      t.data<uint8_t>()[k] = as_bool(e) ? 1 : 0;
      break;
    default:
      break;
  }
}

}  // namespace

void cast_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out) {
  const Tensor& src = *in[0];
  Tensor& dst = *out[0];
  if (src.dtype() == DataType::kUndefined || dst.dtype() == DataType::kUndefined) {
    throw_error(ErrorCode::kUnsupported, node.describe() + ": cannot cast an undefined dtype");
  }
  if (src.dtype() == dst.dtype()) {
    if (src.bytes()) std::memcpy(dst.raw(), src.raw(), src.bytes());
    return;
  }
  const size_t n = static_cast<size_t>(src.numel());
  for (size_t k = 0; k < n; ++k) write(dst, k, read(src, k));
}

}  // namespace lowp::reference

#include "lowp/tensor.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "lowp/error.h"

namespace lowp {

int64_t element_count(const Dims& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

std::string dims_problem(const Dims& dims) {
  int64_t count = 1;
  for (int64_t d : dims) {
    if (d == -1) continue;
    if (d < 0) return "negative dimension in " + dims_to_string(dims);
    if (d > 0 && count > kMaxTensorElements / d)
      return "dims " + dims_to_string(dims) + " exceed 2^32 elements";
    count *= d;
  }
  return "";
}

std::string dims_to_string(const Dims& dims) {
  std::ostringstream os;
  os << '[';
  for (size_t i = 0; i < dims.size(); ++i) os << (i ? "x" : "") << dims[i];
  os << ']';
  return os.str();
}

Tensor::Tensor(DataType dtype, Dims dims) : dtype_(dtype), dims_(std::move(dims)) {
  for (int64_t d : dims_) {
    if (d < 0)
      throw_error(ErrorCode::kInvalidArgument,
                  "negative tensor dimension in " + dims_to_string(dims_));
  }
  size_t n = bytes();
  size_t padded = ((n + 63) / 64) * 64;
  if (padded == 0) padded = 64;
  void* p = std::aligned_alloc(64, padded);
  if (!p)
    throw_error(ErrorCode::kInternal, "out of memory allocating " + std::to_string(n) + " bytes");
  std::memset(p, 0, padded);
  owner_ = std::shared_ptr<void>(p, [](void* q) { std::free(q); });
  data_ = p;
}

Tensor Tensor::scalar(float value) {
  Tensor t(DataType::kF32, {});
  *t.data<float>() = value;
  return t;
}

Tensor Tensor::int64s(const std::vector<int64_t>& values) {
  Tensor t(DataType::kS64, {static_cast<int64_t>(values.size())});
  std::copy(values.begin(), values.end(), t.data<int64_t>());
  return t;
}

Tensor Tensor::view(DataType dtype, Dims dims, void* data, std::shared_ptr<const void> keep_alive) {
  Tensor t;
  t.dtype_ = dtype;
  t.dims_ = std::move(dims);
  t.data_ = data;
  t.owner_ = std::move(keep_alive);
  return t;
}

namespace {
template <typename Out, typename Fn>
std::vector<Out> convert_all(const Tensor& t, Fn&& fn) {
  std::vector<Out> out(static_cast<size_t>(t.numel()));
  for (size_t i = 0; i < out.size(); ++i) out[i] = fn(i);
  return out;
}

double element_as_double(const Tensor& t, size_t i) {
  switch (t.dtype()) {
    case DataType::kF32:
      return t.data<float>()[i];
    case DataType::kF16:
      return half_to_float(t.data<uint16_t>()[i]);
    case DataType::kBF16:
      return bf16_to_float(t.data<uint16_t>()[i]);
    case DataType::kS8:
      return t.data<int8_t>()[i];
    case DataType::kU8:
      return t.data<uint8_t>()[i];
    case DataType::kS32:
      return t.data<int32_t>()[i];
    case DataType::kS64:
      return static_cast<double>(t.data<int64_t>()[i]);
    case DataType::kBool:
      return t.data<uint8_t>()[i] ? 1.0 : 0.0;
    default:
      throw_error(ErrorCode::kInternal, "tensor has undefined dtype");
  }
}
}  // namespace

std::vector<int64_t> Tensor::to_int64() const {
  if (dtype_ == DataType::kS64) return {data<int64_t>(), data<int64_t>() + numel()};
  return convert_all<int64_t>(
      *this, [&](size_t i) { return static_cast<int64_t>(element_as_double(*this, i)); });
}

std::vector<float> Tensor::to_float() const {
  if (dtype_ == DataType::kF32) return {data<float>(), data<float>() + numel()};
  return convert_all<float>(
      *this, [&](size_t i) { return static_cast<float>(element_as_double(*this, i)); });
}

Tensor Tensor::clone() const {
  Tensor t(dtype_, dims_);
  if (bytes()) std::memcpy(t.raw(), raw(), bytes());
  return t;
}

Tensor Tensor::reshaped(Dims dims) const {
  if (element_count(dims) != numel()) {
    throw_error(ErrorCode::kInvalidArgument,
                "cannot reshape " + dims_to_string(dims_) + " to " + dims_to_string(dims));
  }
  Tensor t = *this;
  t.dims_ = std::move(dims);
  return t;
}

Tensor Tensor::cast(DataType to) const {
  Tensor out(to, dims_);
  size_t n = static_cast<size_t>(numel());
  if (to == dtype_) {
    if (bytes()) std::memcpy(out.raw(), raw(), bytes());
    return out;
  }
  for (size_t i = 0; i < n; ++i) {
    double v = element_as_double(*this, i);
    switch (to) {
      case DataType::kF32:
        out.data<float>()[i] = static_cast<float>(v);
        break;
      case DataType::kF16:
        out.data<uint16_t>()[i] = float_to_half(static_cast<float>(v));
        break;
      case DataType::kBF16:
        out.data<uint16_t>()[i] = float_to_bf16(static_cast<float>(v));
        break;
      case DataType::kS8:
        out.data<int8_t>()[i] = static_cast<int8_t>(v);
        break;
      case DataType::kU8:
        out.data<uint8_t>()[i] = static_cast<uint8_t>(v);
        break;
      case DataType::kS32:
        out.data<int32_t>()[i] = static_cast<int32_t>(v);
        break;
      case DataType::kS64:
        out.data<int64_t>()[i] = static_cast<int64_t>(v);
        break;
      case DataType::kBool:
        out.data<uint8_t>()[i] = v != 0.0;
        break;
      default:
        throw_error(ErrorCode::kUnsupported, std::string("cannot cast to ") + name_of(to));
    }
  }
  return out;
}

}  // namespace lowp

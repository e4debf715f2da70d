// Tensor: a dense, row-major array of one DataType. It either owns its bytes (64-byte aligned) or
// views memory owned by someone else (a session's activation arena, a caller's buffer, a mapped
// plan file).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "lowp/dtype.h"

namespace lowp {

using Dims = std::vector<int64_t>;

int64_t element_count(const Dims& dims);
// The most elements a tensor's dims may describe (inferred, declared or loaded), far beyond any
// real model and far below int64 overflow.
inline constexpr int64_t kMaxTensorElements = int64_t{1} << 32;
// What is wrong with dims a file declared or inference produced: a dim below -1 (-1 is an unknown
// dim, skipped), or known dims multiplying past kMaxTensorElements; empty when nothing is.
std::string dims_problem(const Dims& dims);
std::string dims_to_string(const Dims& dims);

class Tensor {
 public:
  Tensor() = default;
  // Allocates zero-filled storage.
  Tensor(DataType dtype, Dims dims);
  // Views `data` without owning it; `keep_alive` (may be null) holds the memory's owner.
  static Tensor view(DataType dtype, Dims dims, void* data,
                     std::shared_ptr<const void> keep_alive = {});
  // A rank-0 f32 tensor holding `value`; a rank-1 s64 tensor holding `values` (shape inputs).
  static Tensor scalar(float value);
  static Tensor int64s(const std::vector<int64_t>& values);

  DataType dtype() const { return dtype_; }
  const Dims& dims() const { return dims_; }
  int64_t rank() const { return static_cast<int64_t>(dims_.size()); }
  int64_t numel() const { return element_count(dims_); }
  size_t bytes() const { return static_cast<size_t>(numel()) * size_of(dtype_); }
  bool empty() const { return data_ == nullptr && numel() != 0; }

  void* raw() { return data_; }
  const void* raw() const { return data_; }
  template <typename T>
  T* data() {
    return static_cast<T*>(data_);
  }
  template <typename T>
  const T* data() const {
    return static_cast<const T*>(data_);
  }
  template <typename T>
  std::span<const T> values() const {
    return {data<T>(), static_cast<size_t>(numel())};
  }

  // Values as int64 / float regardless of stored integer / float type (for shape and scalar
  // inputs).
  std::vector<int64_t> to_int64() const;
  std::vector<float> to_float() const;

  // Deep copy (always owning).
  Tensor clone() const;
  // Same bytes, new dims (element counts must match).
  Tensor reshaped(Dims dims) const;
  // Converted copy (f32 <-> f16/bf16/integers).
  Tensor cast(DataType to) const;

 private:
  DataType dtype_ = DataType::kUndefined;
  Dims dims_;
  std::shared_ptr<const void> owner_;
  void* data_ = nullptr;
};

}  // namespace lowp

// Walks every element of an output in row-major order while tracking, for each input, the element
// offset that feeds it. Inputs are described by per-output-dimension strides (0 repeats an element:
// broadcasting; permuted strides: transposition; scaled strides: slicing with steps).
#pragma once

#include <cstdint>
#include <vector>

#include "lowp/tensor.h"

namespace lowp::reference {

// Calls fn(out_index, offsets) where offsets[k] = sum over d of index[d] * strides[k][d]. Every
// strides[k] has out_dims.size() entries.
template <typename Fn>
void for_each_strided(const Dims& out_dims, const std::vector<std::vector<int64_t>>& strides,
                      Fn&& fn) {
  const int64_t total = element_count(out_dims);
  if (total == 0) return;
  const size_t rank = out_dims.size();
  std::vector<int64_t> index(rank, 0);
  std::vector<int64_t> offsets(strides.size(), 0);
  for (int64_t i = 0; i < total; ++i) {
    fn(i, offsets.data());
    for (size_t d = rank; d-- > 0;) {
      ++index[d];
      for (size_t k = 0; k < strides.size(); ++k) offsets[k] += strides[k][d];
      if (index[d] < out_dims[d]) break;
      for (size_t k = 0; k < strides.size(); ++k) offsets[k] -= strides[k][d] * out_dims[d];
      index[d] = 0;
    }
  }
}

// Calls fn(T{}) with an unsigned integer type as wide as one element of `element_size` bytes, so
// dtype-generic kernels can move whole elements.
template <typename Fn>
void with_element_type(size_t element_size, Fn&& fn) {
  switch (element_size) {
    case 1:
      fn(uint8_t{});
      break;
    case 2:
      fn(uint16_t{});
      break;
    case 4:
      fn(uint32_t{});
      break;
    default:
      fn(uint64_t{});
      break;
  }
}

}  // namespace lowp::reference

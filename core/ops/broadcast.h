// ONNX multidirectional (numpy) broadcasting: the output dims of several inputs and, for kernels,
// each input's strides laid out against the output's dims (0 where the input is broadcast).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "lowp/graph.h"
#include "lowp/tensor.h"

namespace lowp {

// The broadcast dims of `a` and `b`, or nullopt when they are incompatible.
std::optional<Dims> broadcast_dims(const Dims& a, const Dims& b);

// The broadcast dims of all `inputs`; throws kInvalidModel naming `node` when incompatible.
Dims broadcast_dims_or_throw(const Node& node, const std::vector<Dims>& inputs);

// Row-major element strides of `in` aligned to the trailing dims of `out` (rank of `out`), with 0
// for dimensions that `in` lacks or holds as 1 while `out` does not.
std::vector<int64_t> broadcast_strides(const Dims& in, const Dims& out);

// `values` (row-major, dims `from`) broadcast to `to`, row-major.
std::vector<float> broadcast_values(const std::vector<float>& values, const Dims& from,
                                    const Dims& to);

// `dims` with leading 1s up to `rank` (>= its size): the dims numpy broadcasting aligns.
Dims left_padded(const Dims& dims, size_t rank);

// Row-major element strides of `dims`.
std::vector<int64_t> row_major_strides(const Dims& dims);

}  // namespace lowp

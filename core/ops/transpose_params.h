// Transpose's permutation, shared by the schema (output dims), the reference kernel and the CPU
// lowering: `perm`, or the reversed axes when the attribute is absent.
#pragma once

#include <cstdint>
#include <vector>

#include "lowp/graph.h"

namespace lowp {

// Throws kInvalidModel naming `node` when perm is not a permutation of 0..rank-1.
std::vector<int64_t> transpose_permutation(const Node& node, int64_t rank);

}  // namespace lowp

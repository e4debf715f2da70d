#include "core/ops/transpose_params.h"

#include <string>

#include "lowp/error.h"

namespace lowp {

std::vector<int64_t> transpose_permutation(const Node& node, int64_t rank) {
  std::vector<int64_t> perm = node.attr_ints("perm");
  if (!node.has_attr("perm")) {
    for (int64_t i = rank - 1; i >= 0; --i) perm.push_back(i);
  }
  if (static_cast<int64_t>(perm.size()) != rank) {
    throw_error(ErrorCode::kInvalidModel, node.describe() + ": perm has " +
                                              std::to_string(perm.size()) + " entries for rank " +
                                              std::to_string(rank));
  }
  std::vector<bool> used(perm.size(), false);
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || used[static_cast<size_t>(p)]) {
      throw_error(ErrorCode::kInvalidModel, node.describe() + ": perm is not a permutation");
    }
    used[static_cast<size_t>(p)] = true;
  }
  return perm;
}

}  // namespace lowp

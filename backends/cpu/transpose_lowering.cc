// Transpose -> one oneDNN reorder: the source is described with the output's dims and the input's
// strides permuted (a strided view), the destination is plain. f32 and bf16 (and s8 / u8), rank
// up to oneDNN's limit.
#include <string>
#include <vector>

#include "backends/cpu/dnnl_util.h"
#include "backends/cpu/lowerings.h"

namespace lowp::cpu {
namespace {

// perm, or the reversed axes when absent; empty when it is not a permutation of 0..rank-1.
std::vector<int64_t> permutation(const Node& node, size_t rank) {
  std::vector<int64_t> perm = node.attr_ints("perm");
  if (!node.has_attr("perm")) {
    for (size_t i = rank; i-- > 0;) perm.push_back(static_cast<int64_t>(i));
  }
  std::vector<bool> seen(rank, false);
  if (perm.size() != rank) return {};
  for (int64_t p : perm) {
    if (p < 0 || p >= static_cast<int64_t>(rank) || seen[static_cast<size_t>(p)]) return {};
    seen[static_cast<size_t>(p)] = true;
  }
  return perm;
}

}  // namespace

bool lower_transpose(ProgramBuilder& b, const Node& node, const std::vector<TensorInfo>& in,
                     const std::vector<TensorInfo>& out) {
  if (in.size() != 1 || !in[0].present || out.size() != 1 || !out[0].present) return false;
  const DataType dt = in[0].dtype;
  if (!has_dnnl_layout(dt) || out[0].dtype != dt) return false;
  const Dims& x = in[0].dims;
  const Dims& y = out[0].dims;
  if (x.empty() || x.size() > DNNL_MAX_NDIMS || element_count(x) == 0) return false;
  const std::vector<int64_t> perm = permutation(node, x.size());
  if (perm.empty() || y.size() != x.size()) return false;
  dnnl::memory::dims strides(x.size());
  dnnl::memory::dim stride = 1;
  std::vector<dnnl::memory::dim> x_strides(x.size());
  for (size_t i = x.size(); i-- > 0;) {
    x_strides[i] = stride;
    stride *= x[i];
  }
  for (size_t i = 0; i < x.size(); ++i) {
    const size_t p = static_cast<size_t>(perm[i]);
    if (y[i] != x[p]) return false;
    strides[i] = x_strides[p];
  }
  const dnnl::memory::desc view(to_dnnl(y), to_dnnl_type(dt), strides);
  return lower_view_reorder(b, node, view, dt, y, "transpose");
}

}  // namespace lowp::cpu

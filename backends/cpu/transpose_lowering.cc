// Transpose -> one oneDNN reorder: the source is described with the output's dims and the input's
// strides permuted (a strided view), the destination is plain. f32 and bf16 (and s8 / u8), rank
// up to oneDNN's limit.
#include <string>
#include <vector>

#include "backends/cpu/dnnl_util.h"
#include "backends/cpu/lowerings.h"
#include "core/ops/broadcast.h"
#include "core/ops/transpose_params.h"

namespace lowp::cpu {

bool lower_transpose(ProgramBuilder& b, const Node& node, const std::vector<TensorInfo>& in,
                     const std::vector<TensorInfo>& out) {
  if (in.size() != 1 || !in[0].present || out.size() != 1 || !out[0].present) return false;
  const DataType dt = in[0].dtype;
  if (!has_dnnl_layout(dt) || out[0].dtype != dt) return false;
  const Dims& x = in[0].dims;
  const Dims& y = out[0].dims;
  if (x.empty() || x.size() > DNNL_MAX_NDIMS || element_count(x) == 0) return false;
  if (y.size() != x.size()) return false;
  const std::vector<int64_t> perm = transpose_permutation(node, static_cast<int64_t>(x.size()));
  const std::vector<int64_t> x_strides = row_major_strides(x);
  dnnl::memory::dims strides(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const size_t p = static_cast<size_t>(perm[i]);
    if (y[i] != x[p]) return false;
    strides[i] = x_strides[p];
  }
  const dnnl::memory::desc view(to_dnnl(y), to_dnnl_type(dt), strides);
  return lower_view_reorder(b, node, view, dt, y, "transpose");
}

}  // namespace lowp::cpu

// Expand -> one oneDNN reorder: the source is described with the output's dims and the input's
// strides, 0 along the broadcast dims (a strided view repeating elements), the destination is
// plain (Swin V2's F.normalize expands the norm to its input's dims).
#include <string>
#include <vector>

#include "backends/cpu/dnnl_util.h"
#include "backends/cpu/lowerings.h"
#include "core/ops/broadcast.h"

namespace lowp::cpu {

bool lower_expand(ProgramBuilder& b, const Node& node, const std::vector<TensorInfo>& in,
                  const std::vector<TensorInfo>& out) {
  if (in.size() != 2 || !in[0].present || out.size() != 1 || !out[0].present) return false;
  const DataType dt = in[0].dtype;
  if (!has_dnnl_layout(dt) || out[0].dtype != dt) return false;
  const Dims& y = out[0].dims;
  if (y.empty() || y.size() > DNNL_MAX_NDIMS || element_count(y) == 0) return false;
  if (in[0].dims.size() > y.size() || element_count(in[0].dims) == 0) return false;
  const std::vector<int64_t> strides = broadcast_strides(in[0].dims, y);
  const dnnl::memory::desc view(to_dnnl(y), to_dnnl_type(dt),
                                dnnl::memory::dims(strides.begin(), strides.end()));
  return lower_view_reorder(b, node, view, dt, y, "expand");
}

}  // namespace lowp::cpu

// Slice with known starts / ends / axes and positive steps -> one oneDNN reorder from a strided
// view of the input (the output's dims, the input's strides times the steps, the first element
// as the view's offset) into a plain output: attention's Q / K / V split, class-token reads.
// Negative steps, unknown parameters and empty results go to the reference kernel.
#include <string>
#include <vector>

#include "backends/cpu/dnnl_util.h"
#include "backends/cpu/lowerings.h"
#include "core/ops/broadcast.h"
#include "core/ops/slice_params.h"

namespace lowp::cpu {

bool lower_slice(ProgramBuilder& b, const Node& node, const std::vector<TensorInfo>& in,
                 const std::vector<TensorInfo>& out) {
  if (in.size() < 3 || !in[0].present || out.size() != 1 || !out[0].present) return false;
  for (size_t i = 1; i < in.size(); ++i) {
    if (in[i].present && in[i].value == nullptr) return false;
  }
  const DataType dt = in[0].dtype;
  const Dims& x = in[0].dims;
  if (!has_dnnl_layout(dt) || out[0].dtype != dt || x.empty() || x.size() > DNNL_MAX_NDIMS) {
    return false;
  }
  auto optional = [&](size_t i) { return in.size() > i && in[i].present ? in[i].value : nullptr; };
  const std::vector<SliceAxis> axes =
      resolve_slice(node, x, *in[1].value, *in[2].value, optional(3), optional(4));
  const std::vector<int64_t> x_strides = row_major_strides(x);
  dnnl::memory::dims dims(x.size()), strides(x.size());
  dnnl::memory::dim offset = 0;
  for (size_t d = 0; d < x.size(); ++d) {
    const SliceAxis& a = axes[d];
    if (a.step <= 0 || a.count <= 0) return false;
    dims[d] = a.count;
    strides[d] = x_strides[d] * a.step;
    offset += x_strides[d] * a.start;
  }
  if (Dims(dims.begin(), dims.end()) != out[0].dims) return false;
  dnnl::memory::desc view(dims, to_dnnl_type(dt), strides);
  view.data.offset0 = offset;
  return lower_view_reorder(b, node, view, dt, out[0].dims, "slice");
}

}  // namespace lowp::cpu

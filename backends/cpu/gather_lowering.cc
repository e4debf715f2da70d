// Gather of one known index (a scalar, or one element) -> one oneDNN reorder from a strided view
// of the input that skips to the index along the axis: ViT's class token (x[:, 0]), Swin's and
// ViT's q / k / v picked from a packed tensor (qkv[0]). Other indices go to the reference kernel.
#include <string>
#include <vector>

#include "backends/cpu/dnnl_util.h"
#include "backends/cpu/lowerings.h"
#include "core/ops/broadcast.h"
#include "core/ops/tensor_info_checks.h"

namespace lowp::cpu {

bool lower_gather(ProgramBuilder& b, const Node& node, const std::vector<TensorInfo>& in,
                  const std::vector<TensorInfo>& out) {
  if (in.size() != 2 || !in[0].present || in[1].value == nullptr || out.size() != 1) return false;
  const DataType dt = in[0].dtype;
  const Dims& x = in[0].dims;
  const Tensor& indices = *in[1].value;
  if (!has_dnnl_layout(dt) || out[0].dtype != dt || x.empty() || x.size() > DNNL_MAX_NDIMS ||
      indices.numel() != 1 || element_count(out[0].dims) == 0) {
    return false;
  }
  const size_t axis = static_cast<size_t>(
      normalize_axis(node, node.attr_int("axis", 0), static_cast<int64_t>(x.size())));
  int64_t index = indices.to_int64().at(0);
  if (index < 0) index += x[axis];
  if (index < 0 || index >= x[axis]) return false;  // the reference kernel names the error
  // The output's dims are x's with the axis replaced by the index's dims (none or all 1).
  const std::vector<int64_t> x_strides = row_major_strides(x);
  dnnl::memory::dims dims, strides;
  for (size_t d = 0; d < x.size(); ++d) {
    if (d == axis) {
      for (int64_t i = 0; i < indices.rank(); ++i) {
        dims.push_back(1);
        strides.push_back(x_strides[d]);
      }
    } else {
      dims.push_back(x[d]);
      strides.push_back(x_strides[d]);
    }
  }
  if (Dims(dims.begin(), dims.end()) != out[0].dims || dims.empty()) return false;
  dnnl::memory::desc view(dims, to_dnnl_type(dt), strides);
  view.data.offset0 = index * x_strides[axis];
  return lower_view_reorder(b, node, view, dt, out[0].dims, "gather");
}

}  // namespace lowp::cpu

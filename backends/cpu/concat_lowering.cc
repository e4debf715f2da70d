// Concat -> one oneDNN concat. Each source stays in the layout it is in (a convolution's blocked
// output, a reorder's plain one); oneDNN chooses the destination's layout from them, or, when it
// cannot (e.g. blocked sources split inside a channel block), the destination is plain. Empty
// sources are skipped; sources of another element type than the output, and anything oneDNN
// rejects, fall back.
#include <string>
#include <vector>

#include "backends/cpu/dnnl_util.h"
#include "backends/cpu/lowerings.h"
#include "core/ops/tensor_info_checks.h"

namespace lowp::cpu {

bool lower_concat(ProgramBuilder& b, const Node& node, const std::vector<TensorInfo>& in,
                  const std::vector<TensorInfo>& out) {
  if (in.empty() || out.size() != 1 || !out[0].present) return false;
  const DataType dt = out[0].dtype;
  const Dims& y = out[0].dims;
  if (!has_dnnl_layout(dt) || y.empty() || y.size() > DNNL_MAX_NDIMS || element_count(y) == 0) {
    return false;
  }
  const int axis = static_cast<int>(
      normalize_axis(node, node.attr_int("axis", 0), static_cast<int64_t>(y.size())));
  std::vector<dnnl::memory::desc> srcs;
  std::vector<const Value*> sources;
  for (size_t i = 0; i < in.size(); ++i) {
    if (!in[i].present || in[i].dtype != dt) return false;
    if (element_count(in[i].dims) == 0) continue;
    srcs.push_back(b.state(node.inputs[i]).desc);
    sources.push_back(node.inputs[i]);
  }
  dnnl::concat::primitive_desc pd;
  try {
    pd = dnnl::concat::primitive_desc(any_desc(y, dt), axis, srcs, b.engine(), default_attr());
  } catch (const dnnl::error&) {
    try {
      pd = dnnl::concat::primitive_desc(plain_desc(y, dt), axis, srcs, b.engine(), default_attr());
    } catch (const dnnl::error&) {
      return false;
    }
  }
  std::vector<MemoryArg> args;
  for (size_t i = 0; i < sources.size(); ++i) {
    args.push_back(
        {DNNL_ARG_MULTIPLE_SRC + static_cast<int>(i), srcs[i], b.state(sources[i]).slot});
  }
  const dnnl::memory::desc dst = pd.dst_desc();
  args.push_back({DNNL_ARG_DST, dst, b.place_output(node.outputs[0], dt, y, dst)});
  b.add_primitive(&node, "concat", dnnl::concat(pd), std::move(args), pd.scratchpad_desc());
  b.describe_current("onednn concat " + std::string(precision_tag(dt)) + " " + layout_name(dst));
  return true;
}

}  // namespace lowp::cpu

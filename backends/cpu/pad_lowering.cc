// Pad with known pads (>= 0) -> oneDNN reorders: in mode "constant" the output is filled from the
// pad value (a reorder from a zero-stride view of one element) and the input is reordered into the
// strided view of the output's interior (Inception's Pad before AveragePool). Pads that are all
// zero (any mode; Swin pads to a multiple of its window, which 224-pixel inputs already are) make
// the output an alias of the input, no step at all. Other modes and negative pads (crops) go to
// the reference kernel.
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "backends/cpu/dnnl_util.h"
#include "backends/cpu/lowerings.h"
#include "core/ops/broadcast.h"
#include "core/ops/nn_geometry.h"

namespace lowp::cpu {
namespace {

// A reorder between two views, or nothing when oneDNN has none.
std::optional<dnnl::reorder::primitive_desc> reorder_pd(const dnnl::engine& engine,
                                                        const dnnl::memory::desc& src,
                                                        const dnnl::memory::desc& dst) {
  try {
    return dnnl::reorder::primitive_desc(engine, src, engine, dst, default_attr());
  } catch (const dnnl::error&) {
    return std::nullopt;
  }
}

}  // namespace

bool lower_pad(ProgramBuilder& b, const Node& node, const std::vector<TensorInfo>& in,
               const std::vector<TensorInfo>& out) {
  if (in.size() < 2 || !in[0].present || in[1].value == nullptr || out.size() != 1 ||
      out[0].dtype != in[0].dtype || !has_dnnl_layout(in[0].dtype) || in[0].dims.empty() ||
      in[0].dims.size() > DNNL_MAX_NDIMS || element_count(in[0].dims) == 0) {
    return false;
  }
  const DataType dt = in[0].dtype;
  const Tensor* axes = in.size() > 3 && in[3].present ? in[3].value : nullptr;
  if (in.size() > 3 && in[3].present && axes == nullptr) return false;
  const Tensor* value = in.size() > 2 && in[2].present ? in[2].value : nullptr;
  if (in.size() > 2 && in[2].present && value == nullptr) return false;
  const nn::PadAmounts pads = nn::pad_amounts(node, in[0].dims, *in[1].value, axes);
  bool zero = true;
  for (size_t i = 0; i < pads.begin.size(); ++i) {
    if (pads.begin[i] < 0 || pads.end[i] < 0) return false;
    zero = zero && pads.begin[i] == 0 && pads.end[i] == 0;
  }
  const Dims& y = out[0].dims;
  if (zero) {
    b.define(node.outputs[0], dt, y, b.slot_plain(node.inputs[0]), plain_desc(y, dt));
    b.describe_current("alias (zero padding, no copy)");
    return true;
  }
  if (node.attr_string("mode", "constant") != "constant") return false;
  // The pad value as one element of the output's type, read through zero strides.
  Tensor fill(DataType::kF32, {});
  *fill.data<float>() = value && value->numel() == 1 ? value->to_float().at(0) : 0.f;
  if (dt != DataType::kF32) fill = fill.cast(dt);
  const dnnl::memory::desc everywhere(to_dnnl(y), to_dnnl_type(dt),
                                      dnnl::memory::dims(y.size(), 0));
  // The interior: the input's dims with the output's strides, from the first unpadded element.
  const std::vector<int64_t> strides = row_major_strides(y);
  dnnl::memory::desc interior(to_dnnl(in[0].dims), to_dnnl_type(dt),
                              dnnl::memory::dims(strides.begin(), strides.end()));
  for (size_t d = 0; d < y.size(); ++d) interior.data.offset0 += pads.begin[d] * strides[d];
  const dnnl::memory::desc src = plain_desc(in[0].dims, dt), dst = plain_desc(y, dt);
  const auto fill_pd = reorder_pd(b.engine(), everywhere, dst);
  const auto copy_pd = reorder_pd(b.engine(), src, interior);
  if (!fill_pd || !copy_pd) return false;
  std::shared_ptr<void> fill_bytes = make_shared_buffer(kAlignment);
  std::memcpy(fill_bytes.get(), fill.raw(), size_of(dt));
  const int fill_slot = b.constant_slot(b.keep(std::move(fill_bytes)), size_of(dt));
  const int src_slot = b.slot_plain(node.inputs[0]);
  const int dst_slot = b.place_output(node.outputs[0], dt, y, dst);
  b.add_primitive(&node, "pad reorder", dnnl::reorder(*fill_pd),
                  {{DNNL_ARG_FROM, everywhere, fill_slot}, {DNNL_ARG_TO, dst, dst_slot}},
                  fill_pd->scratchpad_desc());
  b.add_primitive(&node, "pad reorder", dnnl::reorder(*copy_pd),
                  {{DNNL_ARG_FROM, src, src_slot}, {DNNL_ARG_TO, interior, dst_slot}},
                  copy_pd->scratchpad_desc());
  b.describe_current("onednn reorder (pad) " + std::string(precision_tag(dt)));
  return true;
}

}  // namespace lowp::cpu

// Shape inference for Resize (output dims from constant scales or sizes) and Pad (output dims from
// constant pads and axes).
#include <string>

#include "core/ops/nn_geometry.h"
#include "core/ops/nn_infer.h"

namespace lowp::nn {
namespace {

// The constant contents of input i, or null when the input is absent or empty. Throws kUnsupported
// when the input is non-empty but its contents are unknown.
const Tensor* needed_value(const Node& node, const std::vector<TensorInfo>& in, size_t i,
                           const char* what) {
  if (!has(in, i)) return nullptr;
  if (element_count(in[i].dims) == 0) return nullptr;
  if (!in[i].value) {
    throw_unsupported(node,
                      std::string("'") + what + "' must be a constant to infer the output dims");
  }
  return in[i].value;
}

}  // namespace

std::vector<TensorInfo> infer_resize(const Node& node, const std::vector<TensorInfo>& in) {
  if (in[0].dims.empty()) throw_invalid(node, "input must have rank >= 1");
  if (node.attr_string("mode", "nearest") != "nearest") require_float(node, in, 0);
  const bool crop = node.attr_string("coordinate_transformation_mode", "") == "tf_crop_and_resize";
  const Tensor* roi = crop ? needed_value(node, in, 1, "roi") : nullptr;
  const Tensor* scales = needed_value(node, in, 2, "scales");
  const Tensor* sizes = needed_value(node, in, 3, "sizes");
  if (has(in, 2) && !scales && has(in, 3) && !sizes) {
    throw_invalid(node, "both 'scales' and 'sizes' are empty");
  }
  const ResizeGeometry g = resize_geometry(node, in[0].dims, roi, scales, sizes);
  return {output(in[0].dtype, g.out)};
}

std::vector<TensorInfo> infer_pad(const Node& node, const std::vector<TensorInfo>& in) {
  const std::string mode = node.attr_string("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge" && mode != "wrap") {
    throw_invalid(node, "unknown mode '" + mode + "'");
  }
  if (!has(in, 1)) throw_invalid(node, "input 'pads' is required");
  if (in[1].dims.size() != 1) throw_invalid(node, "'pads' must be 1-D");
  if (has(in, 2) && element_count(in[2].dims) > 1) {
    throw_invalid(node, "'constant_value' must hold one value");
  }
  if (!in[1].value) throw_unsupported(node, "'pads' must be a constant to infer the output dims");
  const Tensor* axes = needed_value(node, in, 3, "axes");
  const Dims& x = in[0].dims;
  const PadAmounts p = pad_amounts(node, x, *in[1].value, axes);
  Dims out = x;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] >= 0) out[i] += p.begin[i] + p.end[i];
    if ((mode == "reflect" || mode == "edge" || mode == "wrap") && x[i] == 0 &&
        p.begin[i] + p.end[i] > 0) {
      throw_invalid(node, "cannot pad an empty axis in mode '" + mode + "'");
    }
  }
  return {output(in[0].dtype, out)};
}

}  // namespace lowp::nn

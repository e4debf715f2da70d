#include "core/ops/nn_geometry.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "lowp/error.h"

namespace lowp::nn {
namespace {

[[noreturn]] void invalid(const Node& node, const std::string& what) {
  throw_error(ErrorCode::kInvalidModel, node.describe() + ": " + what);
}

[[noreturn]] void unsupported(const Node& node, const std::string& what) {
  throw_error(ErrorCode::kUnsupported, node.describe() + ": " + what);
}

// A resized axis length computed in double: an infinite or NaN scale, or one that makes the axis
// longer than any tensor lowp holds (2^40 elements), is refused instead of cast (undefined).
int64_t resized_length(const Node& node, double length) {
  if (!(length >= 0.0 && length <= static_cast<double>(int64_t{1} << 40))) {
    invalid(node, "the scales make an output axis of length " + std::to_string(length));
  }
  return static_cast<int64_t>(length);
}

// Reads an ints attribute of `n` positive values, `fallback` filling each when absent.
Dims positive_ints(const Node& node, const char* key, size_t n, int64_t fallback) {
  Dims v = node.attr_ints(key, Dims(n, fallback));
  if (v.size() != n) {
    invalid(node, std::string("attribute '") + key + "' has " + std::to_string(v.size()) +
                      " values, expected " + std::to_string(n));
  }
  for (int64_t x : v) {
    if (x <= 0) invalid(node, std::string("attribute '") + key + "' must be positive");
  }
  return v;
}

int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
int64_t ceil_div(int64_t a, int64_t b) { return -floor_div(-a, b); }

enum class AutoPad { kNotSet, kSameUpper, kSameLower, kValid };

AutoPad read_auto_pad(const Node& node) {
  const std::string s = node.attr_string("auto_pad", "NOTSET");
  if (s == "NOTSET" || s.empty()) return AutoPad::kNotSet;
  if (s == "SAME_UPPER") return AutoPad::kSameUpper;
  if (s == "SAME_LOWER") return AutoPad::kSameLower;
  if (s == "VALID") return AutoPad::kValid;
  invalid(node, "unknown auto_pad '" + s + "'");
}

Dims explicit_pads(const Node& node, size_t n) {
  Dims pads = node.attr_ints("pads", Dims(2 * n, 0));
  if (pads.size() != 2 * n) {
    invalid(node, "attribute 'pads' has " + std::to_string(pads.size()) + " values, expected " +
                      std::to_string(2 * n));
  }
  for (int64_t p : pads) {
    if (p < 0) invalid(node, "negative pads are not allowed");
  }
  return pads;
}

}  // namespace

SpatialGeometry window_geometry(const Node& node, const Dims& in_spatial, const Dims& kernel,
                                bool allow_ceil_mode) {
  const size_t n = in_spatial.size();
  if (n < 1 || n > 3) unsupported(node, "only 1-D, 2-D and 3-D spatial dims are supported");
  if (kernel.size() != n) {
    invalid(node, "kernel has " + std::to_string(kernel.size()) + " spatial dims, input has " +
                      std::to_string(n));
  }
  SpatialGeometry g;
  g.kernel = kernel;
  for (int64_t k : kernel) {
    if (k <= 0) invalid(node, "kernel sizes must be positive");
  }
  g.strides = positive_ints(node, "strides", n, 1);
  g.dilations = positive_ints(node, "dilations", n, 1);
  const bool ceil_mode = allow_ceil_mode && node.attr_int("ceil_mode", 0) != 0;
  const AutoPad auto_pad = read_auto_pad(node);
  Dims pads = auto_pad == AutoPad::kNotSet ? explicit_pads(node, n) : Dims(2 * n, 0);
  g.pad_begin.assign(pads.begin(), pads.begin() + static_cast<int64_t>(n));
  g.pad_end.assign(pads.begin() + static_cast<int64_t>(n), pads.end());
  g.out.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t in = in_spatial[i];
    const int64_t s = g.strides[i];
    const int64_t extent = (g.kernel[i] - 1) * g.dilations[i] + 1;
    if (in < 0) {  // unknown size: the output is unknown too
      g.out[i] = -1;
      continue;
    }
    if (auto_pad == AutoPad::kSameUpper || auto_pad == AutoPad::kSameLower) {
      g.out[i] = ceil_div(in, s);
      const int64_t total = std::max<int64_t>(0, (g.out[i] - 1) * s + extent - in);
      const int64_t small = total / 2;
      g.pad_begin[i] = auto_pad == AutoPad::kSameUpper ? small : total - small;
      g.pad_end[i] = total - g.pad_begin[i];
      continue;
    }
    // A pad wider than both the input and the window only adds outputs that see nothing but
    // padding: no real model does that, and hostile files use it to ask for huge tensors.
    if (std::max(g.pad_begin[i], g.pad_end[i]) > std::max(in, extent)) {
      invalid(node, "pads " + std::to_string(g.pad_begin[i]) + "/" + std::to_string(g.pad_end[i]) +
                        " exceed both the input size " + std::to_string(in) +
                        " and the window extent " + std::to_string(extent));
    }
    const int64_t span = in + g.pad_begin[i] + g.pad_end[i] - extent;
    if (span < 0) {
      invalid(node, "window of extent " + std::to_string(extent) + " does not fit input size " +
                        std::to_string(in) + " plus padding");
    }
    int64_t out = (ceil_mode ? ceil_div(span, s) : span / s) + 1;
    // A window must start inside the input or its leading padding.
    if (ceil_mode && (out - 1) * s >= in + g.pad_begin[i]) --out;
    g.out[i] = out;
  }
  return g;
}

SpatialGeometry transposed_geometry(const Node& node, const Dims& in_spatial, const Dims& kernel) {
  const size_t n = in_spatial.size();
  if (n < 1 || n > 3) unsupported(node, "only 1-D, 2-D and 3-D spatial dims are supported");
  if (kernel.size() != n) {
    invalid(node, "kernel has " + std::to_string(kernel.size()) + " spatial dims, input has " +
                      std::to_string(n));
  }
  SpatialGeometry g;
  g.kernel = kernel;
  g.strides = positive_ints(node, "strides", n, 1);
  g.dilations = positive_ints(node, "dilations", n, 1);
  Dims output_padding = node.attr_ints("output_padding", Dims(n, 0));
  if (output_padding.size() != n) invalid(node, "attribute 'output_padding' has the wrong length");
  for (size_t i = 0; i < n; ++i) {
    if (output_padding[i] < 0 || output_padding[i] >= std::max(g.strides[i], g.dilations[i])) {
      invalid(node, "output_padding must be in [0, max(stride, dilation))");
    }
  }
  Dims output_shape = node.attr_ints("output_shape");
  if (output_shape.size() == n + 2)
    output_shape.erase(output_shape.begin(), output_shape.begin() + 2);
  if (!output_shape.empty() && output_shape.size() != n) {
    invalid(node, "attribute 'output_shape' has the wrong length");
  }
  const AutoPad auto_pad = read_auto_pad(node);
  const bool same = auto_pad == AutoPad::kSameUpper || auto_pad == AutoPad::kSameLower;
  const bool derive_pads = same || (!output_shape.empty() && !node.has_attr("pads"));
  Dims pads =
      (auto_pad == AutoPad::kNotSet && !derive_pads) ? explicit_pads(node, n) : Dims(2 * n, 0);
  g.pad_begin.assign(pads.begin(), pads.begin() + static_cast<int64_t>(n));
  g.pad_end.assign(pads.begin() + static_cast<int64_t>(n), pads.end());
  g.out.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t in = in_spatial[i];
    if (in < 0) {
      g.out[i] = output_shape.empty() ? -1 : output_shape[i];
      continue;
    }
    const int64_t full =
        g.strides[i] * (in - 1) + output_padding[i] + (g.kernel[i] - 1) * g.dilations[i] + 1;
    if (derive_pads) {
      const int64_t want = output_shape.empty() ? in * g.strides[i] : output_shape[i];
      const int64_t total = full - want;
      const int64_t half = floor_div(total, 2);
      if (auto_pad == AutoPad::kSameUpper) {
        g.pad_begin[i] = half;
        g.pad_end[i] = total - half;
      } else {
        g.pad_begin[i] = total - half;
        g.pad_end[i] = half;
      }
      g.out[i] = want;
    } else {
      g.out[i] = output_shape.empty() ? full - g.pad_begin[i] - g.pad_end[i] : output_shape[i];
    }
    if (g.out[i] <= 0) invalid(node, "output spatial size is not positive");
  }
  return g;
}

ResizeGeometry resize_geometry(const Node& node, const Dims& in, const Tensor* roi,
                               const Tensor* scales, const Tensor* sizes) {
  const int64_t rank = static_cast<int64_t>(in.size());
  const std::string mode = node.attr_string("mode", "nearest");
  if (mode == "cubic") unsupported(node, "cubic interpolation is not supported");
  if (mode != "nearest" && mode != "linear") invalid(node, "unknown mode '" + mode + "'");
  if (node.attr_int("antialias", 0) != 0) unsupported(node, "antialias is not supported");
  const std::string ctm = node.attr_string("coordinate_transformation_mode", "half_pixel");
  static const char* const kModes[] = {
      "half_pixel", "half_pixel_symmetric", "pytorch_half_pixel",  "align_corners",
      "asymmetric", "tf_crop_and_resize",   "tf_half_pixel_for_nn"};
  if (std::none_of(std::begin(kModes), std::end(kModes), [&](const char* m) { return ctm == m; })) {
    invalid(node, "unknown coordinate_transformation_mode '" + ctm + "'");
  }
  if (mode == "nearest") {
    const std::string nm = node.attr_string("nearest_mode", "round_prefer_floor");
    if (nm != "round_prefer_floor" && nm != "round_prefer_ceil" && nm != "floor" && nm != "ceil") {
      invalid(node, "unknown nearest_mode '" + nm + "'");
    }
  }

  Dims axes = node.attr_ints("axes");
  if (axes.empty()) {
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
  }
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  for (int64_t& a : axes) {
    a = normalize_axis(node, a, rank);
    if (seen[static_cast<size_t>(a)]) invalid(node, "repeated axis in 'axes'");
    seen[static_cast<size_t>(a)] = true;
  }
  const size_t na = axes.size();

  if (scales && scales->numel() == 0) scales = nullptr;
  if (sizes && sizes->numel() == 0) sizes = nullptr;
  if (roi && roi->numel() == 0) roi = nullptr;
  if ((scales == nullptr) == (sizes == nullptr)) {
    invalid(node, "exactly one of 'scales' and 'sizes' must be given");
  }

  ResizeGeometry g;
  g.scales.assign(static_cast<size_t>(rank), 1.f);
  g.roi_start.assign(static_cast<size_t>(rank), 0.f);
  g.roi_end.assign(static_cast<size_t>(rank), 1.f);
  g.out = in;
  if (roi && ctm == "tf_crop_and_resize") {
    std::vector<float> r = roi->to_float();
    if (r.size() != 2 * na) invalid(node, "'roi' must hold 2 values per resized axis");
    for (size_t j = 0; j < na; ++j) {
      g.roi_start[static_cast<size_t>(axes[j])] = r[j];
      g.roi_end[static_cast<size_t>(axes[j])] = r[na + j];
    }
  }

  if (scales) {
    std::vector<float> s = scales->to_float();
    if (s.size() != na) invalid(node, "'scales' must hold one value per resized axis");
    for (size_t j = 0; j < na; ++j) {
      const size_t a = static_cast<size_t>(axes[j]);
      if (!(s[j] > 0.f)) invalid(node, "'scales' must be positive");
      g.scales[a] = s[j];
      if (in[a] < 0) {
        g.out[a] = -1;
        continue;
      }
      double len = static_cast<double>(in[a]);
      if (ctm == "tf_crop_and_resize") len *= static_cast<double>(g.roi_end[a] - g.roi_start[a]);
      g.out[a] = resized_length(node, std::floor(len * static_cast<double>(s[j])));
    }
    return g;
  }

  Dims sz = sizes->to_int64();
  if (sz.size() != na) invalid(node, "'sizes' must hold one value per resized axis");
  for (int64_t v : sz) {
    if (v <= 0) invalid(node, "'sizes' must be positive");
  }
  const std::string policy = node.attr_string("keep_aspect_ratio_policy", "stretch");
  if (policy != "stretch" && policy != "not_larger" && policy != "not_smaller") {
    invalid(node, "unknown keep_aspect_ratio_policy '" + policy + "'");
  }
  for (size_t j = 0; j < na; ++j) {
    const int64_t len = in[static_cast<size_t>(axes[j])];
    if (len == 0 || (len < 0 && policy != "stretch")) {
      invalid(node, "cannot resize an axis of unknown or zero size to given sizes");
    }
  }
  if (policy == "stretch") {
    for (size_t j = 0; j < na; ++j) {
      const size_t a = static_cast<size_t>(axes[j]);
      g.out[a] = sz[j];
      // An unknown input size (only while compiling) leaves the scale unknown; 1 is a placeholder.
      g.scales[a] = in[a] > 0 ? static_cast<float>(sz[j]) / static_cast<float>(in[a]) : 1.f;
    }
    return g;
  }
  float common = policy == "not_larger" ? INFINITY : 0.f;
  for (size_t j = 0; j < na; ++j) {
    const float r =
        static_cast<float>(sz[j]) / static_cast<float>(in[static_cast<size_t>(axes[j])]);
    common = policy == "not_larger" ? std::min(common, r) : std::max(common, r);
  }
  for (size_t j = 0; j < na; ++j) {
    const size_t a = static_cast<size_t>(axes[j]);
    g.scales[a] = common;
    g.out[a] = resized_length(
        node, std::floor(static_cast<double>(common) * static_cast<double>(in[a]) + 0.5));
  }
  return g;
}

PadAmounts pad_amounts(const Node& node, const Dims& in, const Tensor& pads, const Tensor* axes_t) {
  const int64_t rank = static_cast<int64_t>(in.size());
  Dims axes;
  if (axes_t && axes_t->numel() > 0) {
    axes = axes_t->to_int64();
    for (int64_t& a : axes) a = normalize_axis(node, a, rank);
  } else {
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
  }
  const Dims p = pads.to_int64();
  if (p.size() != 2 * axes.size()) {
    invalid(node, "'pads' has " + std::to_string(p.size()) + " values, expected " +
                      std::to_string(2 * axes.size()));
  }
  PadAmounts amounts{Dims(in.size(), 0), Dims(in.size(), 0)};
  for (size_t j = 0; j < axes.size(); ++j) {
    const size_t a = static_cast<size_t>(axes[j]);
    amounts.begin[a] = p[j];
    amounts.end[a] = p[axes.size() + j];
    if (in[a] >= 0 && in[a] + amounts.begin[a] + amounts.end[a] < 0) {
      invalid(node, "pads crop more than the input holds");
    }
  }
  return amounts;
}

}  // namespace lowp::nn

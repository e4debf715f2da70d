#include "backends/cpu/window_geometry.h"

#include <algorithm>
#include <string>

namespace lowp::cpu {

std::optional<WindowGeometry> window_geometry(const Node& node, const Dims& in, const Dims& out,
                                              const std::vector<int64_t>& kernel) {
  constexpr size_t kSpatial = 2;
  if (in.size() != kSpatial + 2 || out.size() != kSpatial + 2 || kernel.size() != kSpatial) {
    return std::nullopt;
  }
  std::vector<int64_t> strides = node.attr_ints("strides", {1, 1});
  std::vector<int64_t> dilations = node.attr_ints("dilations", {1, 1});
  std::vector<int64_t> pads = node.attr_ints("pads", {0, 0, 0, 0});
  std::string auto_pad = node.attr_string("auto_pad", "NOTSET");
  if (strides.size() != kSpatial || dilations.size() != kSpatial || pads.size() != 2 * kSpatial) {
    return std::nullopt;
  }
  WindowGeometry g;
  for (size_t i = 0; i < kSpatial; ++i) {
    int64_t s = strides[i];
    int64_t d = dilations[i];
    if (s < 1 || d < 1 || kernel[i] < 1) return std::nullopt;
    int64_t in_size = in[i + 2];
    int64_t out_size = out[i + 2];
    int64_t eff = (kernel[i] - 1) * d + 1;
    int64_t begin = pads[i];
    int64_t end = pads[i + kSpatial];
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      int64_t total = std::max<int64_t>(0, (out_size - 1) * s + eff - in_size);
      begin = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      end = total - begin;
    } else if (auto_pad == "VALID") {
      begin = 0;
      end = 0;
    } else if (auto_pad != "NOTSET" && !auto_pad.empty()) {
      return std::nullopt;
    }
    if (begin < 0 || end < 0) return std::nullopt;
    int64_t floor_out = (in_size + begin + end - eff) / s + 1;
    if (in_size + begin + end - eff < 0) return std::nullopt;
    if (floor_out != out_size) {
      int64_t needed = (out_size - 1) * s + eff - in_size - begin;
      if (needed < end) return std::nullopt;
      end = needed;
      g.pad_end_extended = true;
    }
    g.strides.push_back(s);
    g.dilations.push_back(d - 1);
    g.pad_begin.push_back(begin);
    g.pad_end.push_back(end);
  }
  return g;
}

}  // namespace lowp::cpu

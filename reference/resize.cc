// Resize: nearest (every nearest_mode) and N-linear, with every coordinate transformation mode
// (tf_crop_and_resize uses roi and extrapolation_value). Cubic is rejected by nn::resize_geometry.
// Each axis is mapped independently: per output coordinate, the source index(es) and weight.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "reference/float_buffers.h"
#include "reference/nn_kernel_list.h"

namespace lowp::reference {
namespace {

struct AxisMap {
  std::vector<int64_t> lo;  // source index; -1: outside the crop (extrapolation value)
  std::vector<int64_t> hi;  // second source index (linear)
  std::vector<float> w_hi;  // weight of `hi` (linear)
  bool active = false;      // some output needs two sources
};

// Maps output coordinate x to the input. As in ONNX's reference implementation, the "resized
// length" of align_corners, pytorch_half_pixel and tf_crop_and_resize is scale * in_len (not the
// rounded output size), which differs when scales rather than sizes are given.
double source_coordinate(const std::string& mode, double x, double scale, int64_t in_len,
                         int64_t out_len, double roi_start, double roi_end) {
  const double width = scale * static_cast<double>(in_len);
  if (mode == "half_pixel") return (x + 0.5) / scale - 0.5;
  if (mode == "half_pixel_symmetric") {
    const double adjust = static_cast<double>(out_len) / width;
    const double offset = static_cast<double>(in_len) / 2.0 * (1.0 - adjust);
    return offset + (x + 0.5) / scale - 0.5;
  }
  if (mode == "pytorch_half_pixel") return width == 1.0 ? 0.0 : (x + 0.5) / scale - 0.5;
  if (mode == "align_corners") {
    return width == 1.0 ? 0.0 : x * static_cast<double>(in_len - 1) / (width - 1.0);
  }
  if (mode == "asymmetric") return x / scale;
  if (mode == "tf_half_pixel_for_nn") return (x + 0.5) / scale;
  // tf_crop_and_resize
  const double span = static_cast<double>(in_len - 1);
  if (width == 1.0) return 0.5 * (roi_start + roi_end) * span;
  return roi_start * span + x * (roi_end - roi_start) * span / (width - 1.0);
}

int64_t nearest_index(const std::string& mode, double x) {
  const double fl = std::floor(x);
  if (mode == "floor") return static_cast<int64_t>(fl);
  if (mode == "ceil") return static_cast<int64_t>(std::ceil(x));
  if (x - fl == 0.5) return static_cast<int64_t>(mode == "round_prefer_ceil" ? fl + 1 : fl);
  return static_cast<int64_t>(std::round(x));
}

AxisMap map_axis(const Node& node, bool linear, int64_t in_len, int64_t out_len, double scale,
                 double roi_start, double roi_end) {
  const std::string ctm = node.attr_string("coordinate_transformation_mode", "half_pixel");
  const std::string nearest_mode = node.attr_string("nearest_mode", "round_prefer_floor");
  const bool crop = ctm == "tf_crop_and_resize";
  AxisMap m;
  m.lo.resize(static_cast<size_t>(out_len));
  m.hi.resize(static_cast<size_t>(out_len));
  m.w_hi.assign(static_cast<size_t>(out_len), 0.f);
  const double last = static_cast<double>(in_len - 1);
  for (int64_t o = 0; o < out_len; ++o) {
    const size_t i = static_cast<size_t>(o);
    double x =
        source_coordinate(ctm, static_cast<double>(o), scale, in_len, out_len, roi_start, roi_end);
    if (crop && (x < 0.0 || x > last)) {
      m.lo[i] = m.hi[i] = -1;
      continue;
    }
    if (!linear) {
      m.lo[i] = m.hi[i] =
          std::min<int64_t>(std::max<int64_t>(nearest_index(nearest_mode, x), 0), in_len - 1);
      continue;
    }
    x = std::min(std::max(x, 0.0), last);
    const int64_t lo = static_cast<int64_t>(std::floor(x));
    m.lo[i] = lo;
    m.hi[i] = std::min(lo + 1, in_len - 1);
    m.w_hi[i] = static_cast<float>(x - static_cast<double>(lo));
    if (m.w_hi[i] != 0.f && m.hi[i] != lo) m.active = true;
  }
  return m;
}

// Strides of a row-major tensor.
Dims strides_of(const Dims& d) {
  Dims s(d.size(), 1);
  for (size_t i = d.size(); i-- > 1;) s[i - 1] = s[i] * d[i];
  return s;
}

}  // namespace

void resize_kernel(const Node& node, const std::vector<const Tensor*>& inputs,
                   const std::vector<Tensor*>& outputs) {
  const Tensor& x = *inputs[0];
  auto opt = [&](size_t i) { return i < inputs.size() ? inputs[i] : nullptr; };
  const nn::ResizeGeometry geo = nn::resize_geometry(node, x.dims(), opt(1), opt(2), opt(3));
  Tensor& y = *outputs[0];
  const bool linear = node.attr_string("mode", "nearest") == "linear";
  const size_t rank = x.dims().size();
  std::vector<AxisMap> maps;
  for (size_t a = 0; a < rank; ++a) {
    maps.push_back(map_axis(node, linear, x.dims()[a], y.dims()[a], geo.scales[a], geo.roi_start[a],
                            geo.roi_end[a]));
  }
  const Dims in_strides = strides_of(x.dims());
  const int64_t total = y.numel();
  const float extrapolation = node.attr_float("extrapolation_value", 0.f);
  Dims index(rank, 0);
  auto advance = [&] {
    for (size_t a = rank; a-- > 0;) {
      if (++index[a] < y.dims()[a]) break;
      index[a] = 0;
    }
  };

  if (!linear) {
    const size_t elem = size_of(x.dtype());
    Tensor fill = Tensor(DataType::kF32, {1});
    fill.data<float>()[0] = extrapolation;
    const Tensor fill_cast = fill.cast(x.dtype());
    const char* src = static_cast<const char*>(x.raw());
    char* dst = static_cast<char*>(y.raw());
    for (int64_t o = 0; o < total; ++o, advance()) {
      int64_t off = 0;
      bool outside = false;
      for (size_t a = 0; a < rank; ++a) {
        const int64_t s = maps[a].lo[static_cast<size_t>(index[a])];
        outside = outside || s < 0;
        off += s * in_strides[a];
      }
      const char* from = outside ? static_cast<const char*>(fill_cast.raw()) : src + off * elem;
      std::memcpy(dst + o * static_cast<int64_t>(elem), from, elem);
    }
    return;
  }

  std::vector<size_t> active;
  for (size_t a = 0; a < rank; ++a) {
    if (maps[a].active) active.push_back(a);
  }
  const size_t corners = size_t{1} << active.size();
  FloatInput xf(x);
  FloatOutput yf(&y);
  for (int64_t o = 0; o < total; ++o, advance()) {
    int64_t base = 0;
    bool outside = false;
    for (size_t a = 0; a < rank; ++a) {
      const int64_t s = maps[a].lo[static_cast<size_t>(index[a])];
      outside = outside || s < 0;
      if (!maps[a].active) {
        // Inactive axis: weight of `hi` is 0 or hi == lo, so `lo` alone is exact.
        base += s * in_strides[a];
      }
    }
    if (outside) {
      yf.data()[o] = extrapolation;
      continue;
    }
    float sum = 0.f;
    for (size_t c = 0; c < corners; ++c) {
      float weight = 1.f;
      int64_t off = base;
      for (size_t j = 0; j < active.size(); ++j) {
        const size_t a = active[j];
        const size_t i = static_cast<size_t>(index[a]);
        const bool high = (c >> j) & 1;
        const float w = maps[a].w_hi[i];
        weight *= high ? w : 1.f - w;
        off += (high ? maps[a].hi[i] : maps[a].lo[i]) * in_strides[a];
      }
      sum += weight * xf.data()[off];
    }
    yf.data()[o] = sum;
  }
  yf.commit();
}

}  // namespace lowp::reference

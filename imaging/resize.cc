#include "imaging/resize.h"

#include <algorithm>
#include <cmath>

#include "lowp/error.h"

namespace lowp::imaging {
namespace {

// The source indices and weights that make up one output sample along one axis.
struct Taps {
  std::vector<int> first;      // first source index of output i
  std::vector<int> count;      // number of taps of output i
  std::vector<float> weights;  // max_taps per output, zero-padded
  int max_taps = 0;
};

Taps torch_taps(int in, int out) {
  Taps t;
  t.max_taps = 2;
  t.first.resize(out);
  t.count.resize(out);
  t.weights.assign(static_cast<size_t>(out) * 2, 0.f);
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  for (int i = 0; i < out; ++i) {
    float src = scale * (static_cast<float>(i) + 0.5f) - 0.5f;
    if (src < 0.f) src = 0.f;
    const int i0 = std::min(static_cast<int>(src), in - 1);
    const int step = i0 < in - 1 ? 1 : 0;
    const float l1 = src - static_cast<float>(i0);
    t.first[i] = i0;
    t.count[i] = 1 + step;
    t.weights[static_cast<size_t>(i) * 2] = 1.f - l1;
    if (step) {
      t.weights[static_cast<size_t>(i) * 2 + 1] = l1;
    } else {
      t.weights[static_cast<size_t>(i) * 2] = 1.f;  // both neighbours are the edge pixel
    }
  }
  return t;
}

Taps pil_taps(int in, int out) {
  const double scale = static_cast<double>(in) / out;
  const double filter_scale = std::max(scale, 1.0);
  const double support = filter_scale;  // the triangle filter's support is 1
  Taps t;
  t.max_taps = static_cast<int>(std::ceil(support)) * 2 + 1;
  t.first.resize(out);
  t.count.resize(out);
  t.weights.assign(static_cast<size_t>(out) * t.max_taps, 0.f);
  for (int i = 0; i < out; ++i) {
    const double center = (i + 0.5) * scale;
    const int lo = std::max(static_cast<int>(center - support + 0.5), 0);
    const int hi = std::min(static_cast<int>(center + support + 0.5), in);
    const int n = std::min(hi - lo, t.max_taps);
    double total = 0;
    std::vector<double> w(n);
    for (int k = 0; k < n; ++k) {
      const double x = std::abs((lo + k - center + 0.5) / filter_scale);
      w[k] = x < 1.0 ? 1.0 - x : 0.0;
      total += w[k];
    }
    t.first[i] = lo;
    t.count[i] = n;
    for (int k = 0; k < n; ++k) {
      t.weights[static_cast<size_t>(i) * t.max_taps + k] =
          static_cast<float>(total > 0 ? w[k] / total : 0.0);
    }
  }
  return t;
}

Taps make_taps(int in, int out, ResizeFilter filter) {
  return filter == ResizeFilter::kBilinear ? torch_taps(in, out) : pil_taps(in, out);
}

float finish(float v, ResizeFilter filter) {
  if (filter != ResizeFilter::kPil) return v;
  return std::clamp(std::floor(v + 0.5f), 0.f, 255.f);
}

}  // namespace

PlanarImage resize_bilinear(const PlanarImage& in, int out_height, int out_width,
                            ResizeFilter filter) {
  if (in.height <= 0 || in.width <= 0 || out_height <= 0 || out_width <= 0) {
    throw_error(ErrorCode::kInvalidArgument,
                "resize: image sizes must be positive (from " + std::to_string(in.width) + "x" +
                    std::to_string(in.height) + " to " + std::to_string(out_width) + "x" +
                    std::to_string(out_height) + ")");
  }
  const Taps tx = make_taps(in.width, out_width, filter);
  const Taps ty = make_taps(in.height, out_height, filter);

  PlanarImage horizontal(in.channels, in.height, out_width);
  for (int c = 0; c < in.channels; ++c) {
    for (int y = 0; y < in.height; ++y) {
      for (int x = 0; x < out_width; ++x) {
        const float* w = &tx.weights[static_cast<size_t>(x) * tx.max_taps];
        float sum = 0.f;
        for (int k = 0; k < tx.count[x]; ++k) sum += w[k] * in.at(c, y, tx.first[x] + k);
        horizontal.at(c, y, x) = finish(sum, filter);
      }
    }
  }
  PlanarImage out(in.channels, out_height, out_width);
  for (int c = 0; c < in.channels; ++c) {
    for (int y = 0; y < out_height; ++y) {
      const float* w = &ty.weights[static_cast<size_t>(y) * ty.max_taps];
      for (int x = 0; x < out_width; ++x) {
        float sum = 0.f;
        for (int k = 0; k < ty.count[y]; ++k) sum += w[k] * horizontal.at(c, ty.first[y] + k, x);
        out.at(c, y, x) = finish(sum, filter);
      }
    }
  }
  return out;
}

}  // namespace lowp::imaging

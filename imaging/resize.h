// Planar float images and the bilinear resizes image preprocessing offers (lowp/preprocessing.h).
#pragma once

#include <cstddef>
#include <vector>

#include "lowp/preprocessing.h"

namespace lowp::imaging {

// `channels` planes of `height` x `width` floats, row-major (CHW).
struct PlanarImage {
  int channels = 0;
  int height = 0;
  int width = 0;
  std::vector<float> data;

  PlanarImage() = default;
  PlanarImage(int c, int h, int w)
      : channels(c), height(h), width(w), data(static_cast<size_t>(c) * h * w, 0.f) {}
  float& at(int c, int y, int x) { return data[(static_cast<size_t>(c) * height + y) * width + x]; }
  float at(int c, int y, int x) const {
    return data[(static_cast<size_t>(c) * height + y) * width + x];
  }
};

// kBilinear: two taps per output at src = (dst + 0.5) * in / out - 0.5 (clamped at 0), neighbours
// clamped at the edge. kPil / kAntialias: a triangle filter whose support widens with the
// downscale factor, horizontal pass then vertical; kPil rounds and clamps each pass to 0..255 as
// PIL's 8-bit images are (so its input must hold 0..255). Float arithmetic otherwise.
PlanarImage resize_bilinear(const PlanarImage& in, int out_height, int out_width,
                            ResizeFilter filter);

}  // namespace lowp::imaging

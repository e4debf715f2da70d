// Planar float images and the two bilinear resizes the preprocessing pipelines need.
#pragma once

#include <cstddef>
#include <vector>

namespace lowp::io {

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

enum class ResizeMode {
  // PyTorch F.interpolate(mode="bilinear", align_corners=False, antialias=False): two taps per
  // output at src = (dst + 0.5) * in / out - 0.5 (clamped at 0), neighbours clamped at the edge;
  // float arithmetic throughout.
  kTorchBilinear,
  // PIL Image.resize(BILINEAR), what torchvision's Resize does on PIL images: a triangle filter
  // whose support widens with the downscale factor (antialias), horizontal pass then vertical,
  // each pass rounded and clamped to 0..255 as PIL's 8-bit images are.
  kPilBilinear,
};

PlanarImage resize_bilinear(const PlanarImage& in, int out_height, int out_width, ResizeMode mode);

}  // namespace lowp::io

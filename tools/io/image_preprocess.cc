#include "tools/io/image_preprocess.h"

#include <cmath>
#include <cstring>
#include <memory>

#include "lowp/error.h"
#include "tools/io/image_decode.h"
#include "tools/io/resize.h"

namespace lowp::io {
namespace {

constexpr float kMean[3] = {0.485f, 0.456f, 0.406f};
constexpr float kStd[3] = {0.229f, 0.224f, 0.225f};
constexpr int kFashionSide = 28;
constexpr int kFashionModelSide = 64;
constexpr int kImagenetResize = 256;
constexpr int kImagenetCrop = 224;
// Limits on what a small compressed file may make lowp allocate: decoded pixels (PIL refuses
// above 2 x 89,478,485) and the longer side after the shorter-side resize.
constexpr int64_t kMaxImagePixels = int64_t{1} << 26;
constexpr int64_t kMaxResizedSide = 1 << 14;

// Writes (x - mean[c]) / std[c] of 3 planes into a new 1x3xHxW tensor. `plane(c)` gives the
// [0,1]-scaled source plane for output channel c.
template <typename PlaneFn>
Tensor normalise(int height, int width, PlaneFn&& plane) {
  Tensor out(DataType::kF32, {1, 3, height, width});
  float* dst = out.data<float>();
  const size_t n = static_cast<size_t>(height) * width;
  for (int c = 0; c < 3; ++c) {
    const float* src = plane(c);
    for (size_t i = 0; i < n; ++i) dst[c * n + i] = (src[i] - kMean[c]) / kStd[c];
  }
  return out;
}

Tensor fashion_from_grey(const PlanarImage& grey28) {
  PlanarImage scaled = grey28;
  for (float& v : scaled.data) v = v / 255.f;
  const PlanarImage big =
      resize_bilinear(scaled, kFashionModelSide, kFashionModelSide, ResizeMode::kTorchBilinear);
  return normalise(kFashionModelSide, kFashionModelSide, [&](int) { return big.data.data(); });
}

// Python's round(): halves go to the even neighbour (as torchvision's CenterCrop offsets).
int round_half_even(double v) { return static_cast<int>(std::nearbyint(v)); }

}  // namespace

Preprocess parse_preprocess(const std::string& name) {
  if (name == "imagenet") return Preprocess::kImagenet;
  if (name == "fashion") return Preprocess::kFashion;
  throw_error(ErrorCode::kInvalidArgument,
              "unknown preprocessing '" + name + "' (expected imagenet or fashion)");
}

const char* preprocess_name(Preprocess preprocess) {
  return preprocess == Preprocess::kImagenet ? "imagenet" : "fashion";
}

Tensor preprocess_fashion_28x28(const uint8_t* pixels) {
  PlanarImage grey(1, kFashionSide, kFashionSide);
  for (size_t i = 0; i < grey.data.size(); ++i) grey.data[i] = pixels[i];
  return fashion_from_grey(grey);
}

Tensor preprocess_imagenet_rgb(const uint8_t* rgb, int width, int height) {
  PlanarImage image(3, height, width);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const uint8_t* px = rgb + (static_cast<size_t>(y) * width + x) * 3;
      for (int c = 0; c < 3; ++c) image.at(c, y, x) = px[c];
    }
  }
  // Resize(256): the shorter side becomes 256 and the longer round(256 * long / short), which
  // reproduces the shared reference inputs (truncating instead is off by one pixel there).
  const double longer_after = static_cast<double>(kImagenetResize) * std::max(width, height) /
                              std::max(1, std::min(width, height));
  if (width <= 0 || height <= 0 || longer_after > kMaxResizedSide) {
    throw_error(ErrorCode::kInvalidArgument,
                "image of " + std::to_string(width) + "x" + std::to_string(height) +
                    ": too elongated for the imagenet preprocessing (the shorter side resized to " +
                    std::to_string(kImagenetResize) + " makes the longer one over " +
                    std::to_string(kMaxResizedSide) + " pixels)");
  }
  int new_w = kImagenetResize, new_h = kImagenetResize;
  if (width < height) {
    new_h = round_half_even(static_cast<double>(kImagenetResize) * height / width);
  } else if (height < width) {
    new_w = round_half_even(static_cast<double>(kImagenetResize) * width / height);
  }
  const PlanarImage resized = resize_bilinear(image, new_h, new_w, ResizeMode::kPilBilinear);
  const int top = round_half_even((new_h - kImagenetCrop) / 2.0);
  const int left = round_half_even((new_w - kImagenetCrop) / 2.0);
  PlanarImage crop(3, kImagenetCrop, kImagenetCrop);
  for (int c = 0; c < 3; ++c) {
    for (int y = 0; y < kImagenetCrop; ++y) {
      for (int x = 0; x < kImagenetCrop; ++x) {
        crop.at(c, y, x) = resized.at(c, top + y, left + x) / 255.f;
      }
    }
  }
  const size_t plane = static_cast<size_t>(kImagenetCrop) * kImagenetCrop;
  return normalise(kImagenetCrop, kImagenetCrop,
                   [&](int c) { return crop.data.data() + c * plane; });
}

Tensor load_image_preprocessed(const std::string& path, Preprocess preprocess) {
  const DecodedImage image = decode_image(path, kMaxImagePixels);
  const int width = image.width, height = image.height, channels = image.channels;
  const size_t n = static_cast<size_t>(width) * height;
  const uint8_t* p = image.pixels.data();

  if (preprocess == Preprocess::kImagenet) {
    std::vector<uint8_t> rgb(n * 3);
    for (size_t i = 0; i < n; ++i) {
      for (int c = 0; c < 3; ++c) rgb[i * 3 + c] = p[i * channels + (channels >= 3 ? c : 0)];
    }
    try {
      return preprocess_imagenet_rgb(rgb.data(), width, height);
    } catch (const Error& e) {
      throw Error(e.code(), path + ": " + e.what());
    }
  }

  // Greyscale: colour images use ITU-R 601-2 luma (as PIL's convert("L")); alpha is ignored.
  PlanarImage grey(1, height, width);
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* px = p + i * channels;
    if (channels >= 3) {
      const uint32_t l = px[0] * 19595u + px[1] * 38470u + px[2] * 7471u + 0x8000u;
      grey.data[i] = static_cast<float>(l >> 16);
    } else {
      grey.data[i] = px[0];
    }
  }
  if (width != kFashionSide || height != kFashionSide) {
    grey = resize_bilinear(grey, kFashionSide, kFashionSide, ResizeMode::kPilBilinear);
  }
  return fashion_from_grey(grey);
}

}  // namespace lowp::io

#include "imaging/image_preprocessing.h"

#include <cmath>

#include "imaging/resize.h"
#include "lowp/error.h"

namespace lowp::imaging {
namespace {

constexpr int64_t kMaxResizedSide = 1 << 14;

[[noreturn]] void refuse(const ImageView& image, const std::string& why) {
  throw_error(ErrorCode::kInvalidArgument, "image of " + std::to_string(image.width) + "x" +
                                               std::to_string(image.height) + ": " + why);
}

// Python's round(): halves go to the even neighbour (torchvision's CenterCrop offsets).
int round_half_even(double v) { return static_cast<int>(std::nearbyint(v)); }

// The planes preprocessing works on: one (grey) or three in the model's channel order, 0..255.
PlanarImage planes_of(const ImageView& image, ColorOrder color) {
  const size_t n = static_cast<size_t>(image.width) * image.height;
  const int channels = image.channels;
  const uint8_t* p = image.pixels;
  if (color == ColorOrder::kGray) {
    PlanarImage grey(1, image.height, image.width);
    for (size_t i = 0; i < n; ++i) {
      const uint8_t* px = p + i * channels;
      if (channels >= 3) {  // ITU-R 601-2 luma in PIL's fixed point
        const uint32_t l = px[0] * 19595u + px[1] * 38470u + px[2] * 7471u + 0x8000u;
        grey.data[i] = static_cast<float>(l >> 16);
      } else {
        grey.data[i] = px[0];
      }
    }
    return grey;
  }
  PlanarImage rgb(3, image.height, image.width);
  for (int c = 0; c < 3; ++c) {
    const int source = channels >= 3 ? (color == ColorOrder::kBgr ? 2 - c : c) : 0;
    float* dst = rgb.data.data() + c * n;
    for (size_t i = 0; i < n; ++i) dst[i] = p[i * channels + source];
  }
  return rgb;
}

void scale_to_range(PlanarImage& planes, float range) {
  if (range == 255.f) return;
  for (float& v : planes.data) v = v / 255.f * range;
}

// Height and width after the resize step.
std::pair<int, int> resized_size(const Preprocessing& p, const ImageView& image,
                                 const PreprocessedShape& crop) {
  switch (p.resize) {
    case ResizeKind::kNone:
      return {image.height, image.width};
    case ResizeKind::kExact:
      return {p.resize_height ? p.resize_height : crop.height,
              p.resize_width ? p.resize_width : crop.width};
    case ResizeKind::kShorterSide:
      break;
  }
  const int side =
      p.resize_height
          ? p.resize_height
          : static_cast<int>(std::lround(std::min(crop.height, crop.width) / p.crop_fraction));
  const int shorter = std::min(image.width, image.height);
  const int longer = std::max(image.width, image.height);
  // torchvision's Resize(int): the longer side int(side * longer / shorter), truncated.
  const double longer_after = static_cast<double>(side) * longer / shorter;
  if (longer_after > kMaxResizedSide) {
    refuse(image, "too elongated: its shorter side resized to " + std::to_string(side) +
                      " makes the longer one over " + std::to_string(kMaxResizedSide) + " pixels");
  }
  const int other = static_cast<int>(longer_after);
  return image.width <= image.height ? std::pair{other, side} : std::pair{side, other};
}

Tensor normalise(const Preprocessing& p, const PlanarImage& image, int top, int left,
                 const PreprocessedShape& s) {
  const bool nchw = p.layout == ImageLayout::kNchw;
  Tensor out(DataType::kF32, nchw ? Dims{1, s.channels, s.height, s.width}
                                  : Dims{1, s.height, s.width, s.channels});
  float* dst = out.data<float>();
  for (int c = 0; c < s.channels; ++c) {
    const int plane = image.channels == 1 ? 0 : c;
    for (int y = 0; y < s.height; ++y) {
      for (int x = 0; x < s.width; ++x) {
        const float v = (image.at(plane, top + y, left + x) - p.mean[c]) / p.std[c];
        const size_t at = nchw ? (static_cast<size_t>(c) * s.height + y) * s.width + x
                               : (static_cast<size_t>(y) * s.width + x) * s.channels + c;
        dst[at] = v;
      }
    }
  }
  return out;
}

}  // namespace

Tensor preprocess_image(const Preprocessing& p, const Dims& input_dims, const ImageView& image) {
  validate(p);
  if (image.width <= 0 || image.height <= 0 || image.channels < 1 || image.channels > 4 ||
      image.pixels == nullptr) {
    refuse(image, std::to_string(image.channels) + " channels" +
                      (image.pixels ? "" : ", no pixels") +
                      ": expected a non-empty image of 1 to 4 channels");
  }
  if (static_cast<int64_t>(image.width) * image.height > kMaxImagePixels) {
    refuse(image, "more than " + std::to_string(kMaxImagePixels) + " pixels");
  }
  const PreprocessedShape shape = preprocessed_shape(p, input_dims);
  PlanarImage planes = planes_of(image, p.color);
  // PIL's filter works on 8-bit values; the float filters scale first (as ToTensor before
  // interpolate).
  if (p.filter != ResizeFilter::kPil) scale_to_range(planes, p.range);
  const auto [height, width] = resized_size(p, image, shape);
  if (height != planes.height || width != planes.width) {
    planes = resize_bilinear(planes, height, width, p.filter);
  }
  if (p.filter == ResizeFilter::kPil) scale_to_range(planes, p.range);
  if (height < shape.height || width < shape.width) {
    refuse(image, "resized to " + std::to_string(width) + "x" + std::to_string(height) +
                      ", smaller than the " + std::to_string(shape.width) + "x" +
                      std::to_string(shape.height) + " crop");
  }
  const int top = round_half_even((height - shape.height) / 2.0);
  const int left = round_half_even((width - shape.width) / 2.0);
  return normalise(p, planes, top, left, shape);
}

}  // namespace lowp::imaging

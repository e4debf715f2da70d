// How an image becomes a model input, as data: resize, centre crop, scale, per-channel mean and
// std, channel order and layout. Presets name the common conventions; every field can be changed.
// Stored in plans (`lowp compile --preprocess`), so a plan knows how to read a photo:
// Engine::preprocess (lowp.h) applies it to decoded pixels.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "lowp/tensor.h"

namespace lowp {

enum class ResizeKind : uint8_t {
  kNone,         // the image must already have the crop's size or more
  kShorterSide,  // the shorter side becomes resize_height, the longer keeps the aspect ratio
  kExact,        // resize_height x resize_width, aspect ratio not kept
};

enum class ResizeFilter : uint8_t {
  // PIL's Image.resize(BILINEAR), what torchvision's Resize does on PIL images: a triangle filter
  // widened by the downscale factor (antialias), each pass rounded to 8 bits as PIL's images are.
  kPil,
  // The same antialiased triangle filter in float (torch's interpolate(antialias=True)).
  kAntialias,
  // Two-tap bilinear in float, no antialias (torch's interpolate(bilinear, align_corners=False),
  // TF's resize bilinear with half-pixel centres, OpenCV's INTER_LINEAR).
  kBilinear,
};

enum class ColorOrder : uint8_t {
  kRgb,
  kBgr,
  kGray,  // ITU-R 601-2 luma (PIL's convert("L")), copied to every channel the model takes
};

enum class ImageLayout : uint8_t { kNchw, kNhwc };

struct Preprocessing {
  std::string preset;  // what the fields started from (shown by `lowp inspect`); informative
  ResizeKind resize = ResizeKind::kShorterSide;
  // kShorterSide: resize_height is the shorter side's new length (0: the crop's shorter side /
  // crop_fraction, rounded). kExact: resize_height x resize_width (0: the crop's size).
  int resize_height = 0;
  int resize_width = 0;
  float crop_fraction = 0.875f;
  ResizeFilter filter = ResizeFilter::kPil;
  // Centre crop; 0: the model input's height and width (which must then be fixed).
  int crop_height = 0;
  int crop_width = 0;
  // Pixels 0..255 become 0..range (1: as torchvision's ToTensor; 255: as Caffe and TF models).
  float range = 1.f;
  // Then (x - mean[c]) / std[c], c in the model's channel order (BGR models: mean[0] is blue's).
  std::array<float, 3> mean{0.f, 0.f, 0.f};
  std::array<float, 3> std{1.f, 1.f, 1.f};
  ColorOrder color = ColorOrder::kRgb;
  ImageLayout layout = ImageLayout::kNchw;
};

// torchvision (alias imagenet): shorter side 256, crop 224, PIL bilinear, 0..1, ImageNet mean/std.
// inception: as torchvision with mean = std = 0.5 (crop 299 from a 299 px model: resize 342).
// tf: (x - 127.5) / 127.5; tf-lite: (x - 127) / 128 (EfficientNet-Lite); both float bilinear.
// caffe: BGR, 0..255, minus the ImageNet BGR mean (103.939, 116.779, 123.68), float bilinear.
// fashion: greyscale copied to 3 channels, resized to the model's size (float bilinear), 0..1,
//   ImageNet mean/std (lowp's Fashion-MNIST ResNet-18).
// none: no resize or crop, 0..1, no normalisation.
Preprocessing preprocessing_preset(const std::string& name);  // kInvalidArgument when unknown
std::vector<std::string> preprocessing_preset_names();

// One line of `key=value` fields, which parse_preprocessing reads back exactly (the plan stores
// it): "preset=torchvision resize=shorter:0 filter=pil crop=0x0 range=1 mean=... std=...
// color=rgb layout=nchw".
std::string to_string(const Preprocessing& p);
// Reads to_string's form: `preset=NAME` (a preset, or custom: the defaults above) sets every field,
// the fields after it change them. Throws kInvalidArgument naming the field for an unknown key,
// preset or value, or a value out of range.
Preprocessing parse_preprocessing(const std::string& text);
// Finite values, std not 0, range 1..255, sizes 0..16384, crop_fraction in (0, 1]; throws
// kInvalidArgument naming the field.
void validate(const Preprocessing& p);

// Decoded 8-bit pixels, interleaved, rows of width * channels bytes: channels 1 (grey), 2 (grey +
// alpha), 3 (RGB) or 4 (RGBA); alpha is ignored.
struct ImageView {
  int width = 0;
  int height = 0;
  int channels = 0;
  const uint8_t* pixels = nullptr;
};

// The sizes preprocessing produces for a model input of `input_dims` (rank 4 in p.layout): the
// crop (from the model when p leaves it 0) and the channel count. Throws kInvalidArgument when the
// model's input cannot take such an image (rank, channels other than 1 or 3, a crop other than
// its fixed height and width, an unknown height or width and no crop given).
struct PreprocessedShape {
  int channels = 0;
  int height = 0;
  int width = 0;
};
PreprocessedShape preprocessed_shape(const Preprocessing& p, const Dims& input_dims);

}  // namespace lowp

// Image files -> model input tensors, with the two preprocessing pipelines lowp's demo models use.
#pragma once

#include <cstdint>
#include <string>

#include "lowp/tensor.h"

namespace lowp::io {

enum class Preprocess {
  // RGB; shorter side resized to 256 (bilinear, as torchvision's Resize on a PIL image); centre
  // crop 224; scale to [0,1]; normalise with the ImageNet mean/std -> 1x3x224x224 f32.
  kImagenet,
  // Greyscale 28x28 (other sizes are resized to 28x28 first); scale to [0,1]; resize to 64x64 as
  // F.interpolate(bilinear, align_corners=False); copy to 3 channels; normalise with the ImageNet
  // mean/std -> 1x3x64x64 f32. Fashion-MNIST images are light garments on a black background.
  kFashion,
};

// "imagenet" or "fashion"; throws lowp::Error (kInvalidArgument) otherwise.
Preprocess parse_preprocess(const std::string& name);
const char* preprocess_name(Preprocess preprocess);

// Decodes a JPEG or PNG file (stb_image) and preprocesses it. Errors name `path`.
Tensor load_image_preprocessed(const std::string& path, Preprocess preprocess);

// The fashion pipeline from 28x28 greyscale pixels (row-major), e.g. from an idx file.
Tensor preprocess_fashion_28x28(const uint8_t* pixels);

// The imagenet pipeline from interleaved 8-bit RGB pixels.
Tensor preprocess_imagenet_rgb(const uint8_t* rgb, int width, int height);

}  // namespace lowp::io

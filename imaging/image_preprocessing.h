// Decoded pixels -> a model input tensor, as a Preprocessing (lowp/preprocessing.h) says.
#pragma once

#include "lowp/preprocessing.h"
#include "lowp/tensor.h"

namespace lowp::imaging {

// Images larger than this many pixels are refused (a 16k x 16k photo).
inline constexpr int64_t kMaxImagePixels = int64_t{1} << 28;

// A 1 x C x H x W (or 1 x H x W x C) f32 tensor for a model input of `input_dims` (see
// preprocessed_shape). Throws kInvalidArgument for an empty, oversized or too elongated image, or
// one smaller than the crop after resizing.
Tensor preprocess_image(const Preprocessing& p, const Dims& input_dims, const ImageView& image);

}  // namespace lowp::imaging

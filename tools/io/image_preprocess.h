// Image files -> model input tensors: decoded here (image_decode.h), preprocessed as a
// Preprocessing says (lowp/preprocessing.h; the pixel work is imaging/image_preprocessing.h).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "lowp/preprocessing.h"
#include "lowp/tensor.h"
#include "tools/io/idx.h"

namespace lowp::io {

// Decodes a JPEG or PNG file and preprocesses it for a model input of `input_dims`. Errors name
// `path`.
Tensor load_image_preprocessed(const std::string& path, const Preprocessing& preprocessing,
                               const Dims& input_dims);
// The same for an encoded JPEG / PNG in memory; `name` names it in errors.
Tensor preprocess_encoded_image(std::span<const uint8_t> bytes, const std::string& name,
                                const Preprocessing& preprocessing, const Dims& input_dims);

// Image `i` of an idx file (greyscale) preprocessed for a model input of `input_dims`.
Tensor preprocess_idx_image(const IdxImages& images, int64_t i, const Preprocessing& preprocessing,
                            const Dims& input_dims);

// 28x28 greyscale pixels (row-major, e.g. from a Fashion-MNIST idx file) through the fashion
// preset for lowp's 1x3x64x64 Fashion-MNIST model.
Tensor preprocess_fashion_28x28(const uint8_t* pixels);

}  // namespace lowp::io

#include "tools/io/image_preprocess.h"

#include "imaging/image_preprocessing.h"
#include "lowp/error.h"
#include "tools/io/image_decode.h"

namespace lowp::io {
namespace {

// Decoded pixels lowp accepts from a file (PIL refuses above 2 x 89,478,485): a small compressed
// file must not make lowp allocate gigabytes.
constexpr int64_t kMaxDecodedPixels = int64_t{1} << 26;

Tensor preprocess_decoded(const DecodedImage& image, const std::string& path,
                          const Preprocessing& preprocessing, const Dims& input_dims) {
  try {
    return imaging::preprocess_image(
        preprocessing, input_dims,
        ImageView{image.width, image.height, image.channels, image.pixels.data()});
  } catch (const Error& e) {
    throw Error(e.code(), path + ": " + e.what());
  }
}

}  // namespace

Tensor load_image_preprocessed(const std::string& path, const Preprocessing& preprocessing,
                               const Dims& input_dims) {
  return preprocess_decoded(decode_image(path, kMaxDecodedPixels), path, preprocessing, input_dims);
}

Tensor preprocess_encoded_image(std::span<const uint8_t> bytes, const std::string& name,
                                const Preprocessing& preprocessing, const Dims& input_dims) {
  return preprocess_decoded(decode_image_bytes(bytes, name, kMaxDecodedPixels), name, preprocessing,
                            input_dims);
}

Tensor preprocess_idx_image(const IdxImages& images, int64_t i, const Preprocessing& preprocessing,
                            const Dims& input_dims) {
  return imaging::preprocess_image(preprocessing, input_dims,
                                   ImageView{images.cols, images.rows, 1, images.image(i)});
}

Tensor preprocess_fashion_28x28(const uint8_t* pixels) {
  return imaging::preprocess_image(preprocessing_preset("fashion"), {1, 3, 64, 64},
                                   ImageView{28, 28, 1, pixels});
}

}  // namespace lowp::io

// Engine::preprocess: an image to the first input, as the plan's preprocessing says.
#include "imaging/image_preprocessing.h"
#include "lowp/error.h"
#include "lowp/lowp.h"

namespace lowp {

Tensor Engine::preprocess(const ImageView& image) const {
  if (!options_.preprocessing) {
    throw_error(ErrorCode::kInvalidArgument,
                "this engine has no preprocessing: compile with CompileOptions::preprocessing "
                "(`lowp compile --preprocess PRESET`) or pass one");
  }
  return preprocess(image, *options_.preprocessing);
}

Tensor Engine::preprocess(const ImageView& image, const Preprocessing& preprocessing) const {
  if (inputs_.empty()) throw_error(ErrorCode::kInvalidArgument, "this engine has no inputs");
  const TensorDesc& input = inputs_[0];
  if (input.dtype != DataType::kF32) {
    throw_error(ErrorCode::kInvalidArgument, "input '" + input.name + "' is " +
                                                 name_of(input.dtype) +
                                                 ": image preprocessing makes f32 tensors");
  }
  try {
    return imaging::preprocess_image(preprocessing, input.dims, image);
  } catch (const Error& e) {
    throw Error(e.code(), "input '" + input.name + "': " + e.what());
  }
}

}  // namespace lowp

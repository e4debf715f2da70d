// The image preprocessing options every subcommand that reads images shares (--preprocess PRESET
// and one flag per field), and how they combine with a plan's stored preprocessing.
#pragma once

#include <optional>
#include <string>

#include "lowp/preprocessing.h"

namespace CLI {
class App;
}

namespace lowp::cli {

struct PreprocessArgs {
  std::string preset;  // --preprocess
  std::string resize;  // N (shorter side), HxW (exact) or none
  std::string crop;    // N or HxW
  std::string filter;  // pil | antialias | bilinear
  std::string mean;    // a or a,b,c
  std::string std;
  std::string scale;   // 1 or 255: pixels become 0..1 or 0..255
  std::string layout;  // nchw | nhwc
  bool bgr = false;
  bool gray = false;
  bool given() const;  // any of them set
};

void add_preprocess_options(CLI::App* cmd, PreprocessArgs& args);

// What images go through, first found: `args` (its preset, else `stored`, else the guess, with its
// fields overridden); `stored` (a plan's); a guess from the input dims (3x64x64: fashion,
// 3x224x224: torchvision; `*guessed` set). nullopt when none applies. Errors (kInvalidArgument)
// name the option.
std::optional<Preprocessing> resolve_preprocessing(const PreprocessArgs& args,
                                                   const std::optional<Preprocessing>& stored,
                                                   const Dims& input_dims, bool* guessed = nullptr);

}  // namespace lowp::cli

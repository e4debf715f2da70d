// Building the input tensors of `lowp run` from npy files or images, checked against the model.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lowp/lowp.h"
#include "lowp/preprocessing.h"
#include "tools/cli/cli_options.h"

namespace lowp::cli {

struct RunInputs {
  std::vector<Tensor> tensors;       // in engine.inputs() order
  std::vector<std::string> sources;  // one per batch item of the first input, for the report
  std::optional<Preprocessing> preprocessing;  // set when the inputs came from images
  std::vector<std::string> notes;              // converted dtypes, a guessed preprocessing
};

// Reads every input the model needs; throws UsageError for a wrong combination of options and
// lowp::Error for files that cannot be read or do not fit the model.
RunInputs gather_run_inputs(const Engine& engine, const RunArgs& args);

// Preprocessed images (each [1, ...] f32) as one batch for the engine's first input, in its dtype
// (an fp16 plan without --keep-io-types takes fp16), as `lowp run --image` gives it.
Tensor images_as_input(const Engine& engine, const std::vector<Tensor>& images);

}  // namespace lowp::cli

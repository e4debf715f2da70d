// Helpers the subcommands share: loading a model from .onnx or .plan, and formatting dims.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lowp/lowp.h"
#include "lowp/shape.h"
#include "tools/cli/cli_options.h"

namespace lowp::cli {

// CompileOptions from the shared precision options.
CompileOptions compile_options(const PrecisionArgs& precision, int threads);

// Sets options.preprocessing (the preprocessing flags on top of `stored` when any is given, else
// `stored`) and options.calibration.source (calibration images read with the flags', `stored` or
// the guessed preprocessing) from `precision`, for a model whose first input has `dims`.
void set_preprocessing_and_calibration(CompileOptions& options, const PrecisionArgs& precision,
                                       const std::optional<Preprocessing>& stored,
                                       const Dims& dims);

// Imports an ONNX model and compiles it, building the calibration source from `precision`.
std::shared_ptr<const Engine> compile_model(const std::string& onnx_path, CompileOptions options,
                                            const PrecisionArgs& precision);

// `path` ending in .plan: Engine::load_plan (the plan's own precision; a different --precision is
// an error); anything else: Engine::compile_onnx with the precision options.
std::shared_ptr<const Engine> load_model(const std::string& path, const PrecisionArgs& precision,
                                         int threads);

// One line saying how the engine computes when that differs from what was asked (fp16 on a CPU
// without fp16 arithmetic), or "".
std::string precision_note(const Engine& engine);

// [N, 3, 224, 224]: -1 shown as N.
std::string format_dims(const Dims& dims);
// A value's static shape, symbols by name ("N") and unknown dims as "?".
std::string format_shape(const Shape& shape);

// Bindings over `inputs` (in Engine::inputs() order), and freshly allocated outputs for them with
// bindings over those: what Session::run(inputs, outputs) takes.
struct Bindings {
  std::vector<TensorBinding> inputs;
  std::vector<Tensor> outputs;
  std::vector<TensorBinding> output_bindings;
};
Bindings bind_and_allocate(const Engine& engine, const std::vector<Tensor>& inputs);

// A file in the temporary folder, named for this process and thread
// ("lowp_<what>_<pid>_<thread><suffix>": callers on several threads, as from Python, do not
// collide), removed when this goes out of scope; no file is made.
struct TemporaryFile {
  TemporaryFile(const std::string& what, const std::string& suffix);
  ~TemporaryFile();
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  std::string path;
};

// Milliseconds since `start` (std::chrono::steady_clock).
double elapsed_ms(std::chrono::steady_clock::time_point start);

}  // namespace lowp::cli

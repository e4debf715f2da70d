#include "tools/cli/model_util.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <functional>
#include <string_view>
#include <thread>

#include "frontends/onnx/onnx_importer.h"
#include "lowp/graph.h"
#include "tools/io/calibration_sources.h"

namespace lowp::cli {

void add_precision_options(CLI::App* cmd, PrecisionArgs& args) {
  cmd->add_option("--device", args.device, "cpu or cuda (default: cpu, or the plan's device)")
      ->check(CLI::IsMember({"cpu", "cuda"}));
  cmd->add_flag("--tf32", args.tf32, "CUDA fp32: allow TF32 tensor cores (off: exact fp32)");
  cmd->add_option(
         "--tune-batch", args.tune_batch,
         "CUDA: batch sizes to choose tactics for at compile, besides 1 (comma-separated); "
         "a plan then runs them without searching")
      ->delimiter(',')
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  cmd->add_option("--cuda-device", args.cuda_device, "CUDA: the GPU to run on (ordinal)")
      ->check(CLI::Range(0, 1 << 16));
  cmd->add_option("--precision", args.precision,
                  "fp32, fp16 (weights stored in fp16), bf16 (AVX512-BF16), int8")
      ->check(CLI::IsMember({"fp32", "fp16", "bf16", "int8"}))
      ->capture_default_str();
  cmd->add_option("--keep-fp32", args.keep_fp32,
                  "Node names or op types that stay fp32 (comma-separated or repeated)")
      ->delimiter(',');
  cmd->add_flag("--keep-io-types", args.keep_io_types,
                "fp16: keep fp32 model inputs and outputs (otherwise they are fp16)");
  cmd->add_option(
      "--calib", args.calib,
      "Calibration data: a folder of images, .npy file(s), Fashion-MNIST idx, or random");
  cmd->add_option("--calib-format", args.calib_format, "images, npy or idx (default: guessed)")
      ->check(CLI::IsMember({"images", "npy", "idx", "random"}));
  cmd->add_option("--calib-count", args.calib_count,
                  "Calibration images to use (0: all there are; random data: 64)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--calib-batch", args.calib_batch, "Calibration batch size")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--calibrator", args.calibrator,
                  "minmax, percentile, entropy, mse or auto (per tensor, the one that disturbs the "
                  "layers reading it least)")
      ->check(CLI::IsMember({"minmax", "percentile", "entropy", "mse", "auto"}))
      ->capture_default_str();
  cmd->add_option("--percentile", args.percentile, "Percentile for --calibrator percentile")
      ->check(CLI::Range(50.0, 100.0))
      ->capture_default_str();
  cmd->add_option("--calib-cache", args.calib_cache,
                  "Calibration cache (JSON): read when it exists, else written after calibrating");
  cmd->add_flag("--symmetric-activations", args.symmetric,
                "int8: signed symmetric activations instead of unsigned with a zero point");
  add_preprocess_options(cmd, args.preprocess);
}

CompileOptions compile_options(const PrecisionArgs& precision, int threads) {
  CompileOptions options;
  options.precision = parse_precision(precision.precision);
  if (!precision.device.empty()) options.device = parse_device(precision.device);
  options.allow_tf32 = precision.tf32;
  options.tune_batch_sizes = precision.tune_batch;
  options.cuda_device = precision.cuda_device;
  options.threads = threads;
  options.keep_fp32 = precision.keep_fp32;
  options.keep_io_types = precision.keep_io_types;
  options.calibration.calibrator = parse_calibrator(precision.calibrator);
  options.calibration.percentile = precision.percentile;
  options.calibration.cache_path = precision.calib_cache;
  options.calibration.symmetric_activations = precision.symmetric;
  return options;
}

void set_preprocessing_and_calibration(CompileOptions& options, const PrecisionArgs& precision,
                                       const std::optional<Preprocessing>& stored,
                                       const Dims& dims) {
  // Given preprocessing is stored (and checked against the input now); a guessed one only reads
  // the calibration images.
  const std::optional<Preprocessing> preprocessing =
      resolve_preprocessing(precision.preprocess, stored, dims);
  options.preprocessing = stored;
  if (precision.preprocess.given()) {
    preprocessed_shape(*preprocessing, dims);
    options.preprocessing = preprocessing;
  }
  if (!precision.calib.empty()) {
    options.calibration.source =
        io::make_calibration_source(precision.calib, precision.calib_format, precision.calib_count,
                                    precision.calib_batch, preprocessing, dims);
  }
}

std::shared_ptr<const Engine> compile_model(const std::string& onnx_path, CompileOptions options,
                                            const PrecisionArgs& precision) {
  std::shared_ptr<Graph> graph = onnx_frontend::import_file(onnx_path);
  if (graph->inputs.empty() && !precision.calib.empty()) {
    throw UsageError(onnx_path + ": the model has no inputs to calibrate");
  }
  Dims dims;
  if (!graph->inputs.empty()) {
    for (const Dim& d : graph->inputs[0]->shape.dims()) dims.push_back(d.known() ? d.size : -1);
  }
  set_preprocessing_and_calibration(options, precision, std::nullopt, dims);
  return Engine::compile(std::move(graph), options);
}

std::shared_ptr<const Engine> load_model(const std::string& path, const PrecisionArgs& precision,
                                         int threads) {
  if (std::string_view(path).ends_with(".plan")) {
    RuntimeOptions options;
    options.threads = threads;
    if (!precision.device.empty()) options.device = parse_device(precision.device);
    options.cuda_device = precision.cuda_device;
    auto engine = Engine::load_plan(path, options);
    const char* planned = precision_name(engine->options().precision);
    if (precision.precision != "fp32" && precision.precision != planned) {
      throw UsageError(path + " is a " + planned + " plan; --precision " + precision.precision +
                       " applies when compiling an ONNX model");
    }
    return engine;
  }
  return compile_model(path, compile_options(precision, threads), precision);
}

std::string precision_note(const Engine& engine) { return engine.precision_note(); }

std::string format_dims(const Dims& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ", ";
    s += dims[i] < 0 ? std::string("N") : std::to_string(dims[i]);
  }
  return s + "]";
}

std::string format_shape(const Shape& shape) {
  if (!shape.has_rank()) return "[?]";
  std::string s = "[";
  for (size_t i = 0; i < shape.rank(); ++i) {
    if (i) s += ", ";
    const Dim& d = shape[i];
    s += d.known() ? std::to_string(d.size) : (d.symbol.empty() ? std::string("?") : d.symbol);
  }
  return s + "]";
}

TemporaryFile::TemporaryFile(const std::string& what, const std::string& suffix)
    : path((std::filesystem::temp_directory_path() /
            ("lowp_" + what + "_" + std::to_string(::getpid()) + "_" +
             std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id())) + suffix))
               .string()) {
  std::error_code ec;
  std::filesystem::remove(path, ec);
}

TemporaryFile::~TemporaryFile() {
  std::error_code ec;
  std::filesystem::remove(path, ec);
}

double elapsed_ms(std::chrono::steady_clock::time_point start) {
  const auto elapsed = std::chrono::steady_clock::now() - start;
  return std::chrono::duration<double, std::milli>(elapsed).count();
}

Bindings bind_and_allocate(const Engine& engine, const std::vector<Tensor>& inputs) {
  Bindings b;
  std::vector<Dims> input_dims;
  for (size_t i = 0; i < inputs.size(); ++i) {
    b.inputs.push_back({engine.inputs().at(i).name, inputs[i]});
    input_dims.push_back(inputs[i].dims());
  }
  const std::vector<Dims> output_dims = engine.output_dims(input_dims);
  for (size_t i = 0; i < output_dims.size(); ++i) {
    b.outputs.emplace_back(engine.outputs()[i].dtype, output_dims[i]);
    b.output_bindings.push_back({engine.outputs()[i].name, b.outputs.back()});
  }
  return b;
}

}  // namespace lowp::cli

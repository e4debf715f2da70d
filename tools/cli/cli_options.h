// Options of each `lowp` subcommand, the functions that register them with CLI11 and the
// functions that run them. main.cc owns one instance of each options struct (no globals).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "tools/cli/preprocess_args.h"

namespace CLI {
class App;
}

namespace lowp::cli {

// A mistake in how the command was called (exit code 2), as opposed to a failure running it.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The precision options, spelled the same in compile, run, bench and compare.
struct PrecisionArgs {
  std::string device;               // cpu | cuda; empty: cpu, or a plan's own device
  bool tf32 = false;                // CUDA fp32 may use TF32 tensor cores
  std::vector<int64_t> tune_batch;  // CUDA: batch sizes to choose tactics for at compile
  int cuda_device = -1;             // CUDA: GPU ordinal; -1: the current device (0)
  std::string precision = "fp32";
  std::vector<std::string> keep_fp32;  // node names or op types
  bool keep_io_types = false;
  std::string calib;         // folder / file of calibration data, or "random"
  std::string calib_format;  // images | npy | idx; empty: guessed from the path
  int calib_count = 512;
  int calib_batch = 32;
  std::string calibrator = "mse";
  double percentile = 99.99;
  std::string calib_cache;
  bool symmetric = false;  // s8 symmetric activations instead of u8 with a zero point
  // How images (calibration, --image, datasets) become inputs; compile stores it in the plan.
  PreprocessArgs preprocess;
};

struct CompileArgs {
  std::string model;
  std::string output;  // empty: MODEL with its extension replaced by .plan
  PrecisionArgs precision;
  std::vector<std::string> disabled_passes;
  int threads = 0;
  bool verbose = false;
  bool verify = false;  // check the graph after import and every pass
  bool json = false;
  // int8 accuracy budget (tools/cli/accuracy_budget.h): < 0 off.
  double max_accuracy_drop = -1.0;
  std::string validation;
  std::string validation_labels;
  int64_t validation_count = 0;
};

struct RunArgs {
  std::string model;
  std::string input_file;           // bare FILE.npy for a single-input model
  std::vector<std::string> inputs;  // NAME=FILE.npy
  std::vector<std::string> images;
  std::string output_dir;
  std::string labels;
  int top_k = 5;
  int threads = 0;
  PrecisionArgs precision;
  bool json = false;
};

struct InspectArgs {
  std::string model;
  bool json = false;
  bool ir = false;         // print the whole IR (Graph::print) instead of the summary
  std::string after_pass;  // print the IR after this pass (or "import") instead
};

struct BenchArgs {
  std::string model;
  std::vector<std::string> shapes;  // NAME=D0,D1,... for inputs with dynamic dims besides batch
  int batch = 1;
  int iterations = 50;
  int warmup = 5;
  int threads = 0;
  PrecisionArgs precision;
  unsigned seed = 1;
  bool json = false;
};

struct ExportArgs {
  std::string model;   // .plan, or .onnx compiled with `precision` first
  std::string output;  // empty: MODEL with .onnx (plans) or .<precision>.onnx (ONNX models)
  PrecisionArgs precision;
  bool json = false;
};

void add_precision_options(CLI::App* cmd, PrecisionArgs& args);
// CompileOptions for these precision options and thread count.
struct CompareArgs {
  std::string model;  // .onnx, or an fp32 .plan (the other precisions compiled from its graph)
  std::string precisions = "fp32,fp16,int8";
  PrecisionArgs precision;  // calibration and keep options, shared by every precision compared
  std::string image;
  std::string input;  // NAME=X.npy: one input tensor or a batch of them
  std::string dataset;
  std::string dataset_format;  // images | folders | npy | idx; empty: guessed
  std::string dataset_labels;  // Y.npy: integer labels of an .npy dataset
  std::string labels;
  std::string report;  // FILE.html
  int64_t limit = 0;
  int batch = 32;
  int worst = 5;
  int threads = 0;
  bool per_layer = false;
  bool json = false;
};

CLI::App* add_compare_command(CLI::App& app, CompareArgs& args);
int run_compare(const CompareArgs& args);
// What `compare --json` prints: one JSON object per precision, fp32 first (the Python package's
// lowp.compare returns these).
std::vector<std::string> compare_json(const CompareArgs& args);

CLI::App* add_compile_command(CLI::App& app, CompileArgs& args);
CLI::App* add_run_command(CLI::App& app, RunArgs& args);
CLI::App* add_inspect_command(CLI::App& app, InspectArgs& args);
CLI::App* add_bench_command(CLI::App& app, BenchArgs& args);
CLI::App* add_export_command(CLI::App& app, ExportArgs& args);

// Each returns the process exit code; failures throw lowp::Error or UsageError.
int run_compile(const CompileArgs& args);
int run_run(const RunArgs& args);
int run_inspect(const InspectArgs& args);
int run_bench(const BenchArgs& args);
int run_export(const ExportArgs& args);

}  // namespace lowp::cli

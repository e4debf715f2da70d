// Options of each `lowp` subcommand, the functions that register them with CLI11 and the
// functions that run them. main.cc owns one instance of each options struct (no globals).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace lowp::cli {

// A mistake in how the command was called (exit code 2), as opposed to a failure running it.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct CompileArgs {
  std::string model;
  std::string output;  // empty: MODEL with its extension replaced by .plan
  std::string precision = "fp32";
  std::vector<std::string> disabled_passes;
  int threads = 0;
  bool verbose = false;
  bool json = false;
};

struct RunArgs {
  std::string model;
  std::string input_file;           // bare FILE.npy for a single-input model
  std::vector<std::string> inputs;  // NAME=FILE.npy
  std::vector<std::string> images;
  std::string preprocess;  // imagenet | fashion; empty: chosen from the input dims
  std::string output_dir;
  std::string labels;
  int top_k = 5;
  int threads = 0;
  bool json = false;
};

struct InspectArgs {
  std::string model;
  bool json = false;
  bool ir = false;  // print the whole IR (Graph::print) instead of the summary
};

struct BenchArgs {
  std::string model;
  std::vector<std::string> shapes;  // NAME=D0,D1,... for inputs with dynamic dims besides batch
  int batch = 1;
  int iterations = 50;
  int warmup = 5;
  int threads = 0;
  unsigned seed = 1;
  bool json = false;
};

CLI::App* add_compile_command(CLI::App& app, CompileArgs& args);
CLI::App* add_run_command(CLI::App& app, RunArgs& args);
CLI::App* add_inspect_command(CLI::App& app, InspectArgs& args);
CLI::App* add_bench_command(CLI::App& app, BenchArgs& args);

// Each returns the process exit code; failures throw lowp::Error or UsageError.
int run_compile(const CompileArgs& args);
int run_run(const RunArgs& args);
int run_inspect(const InspectArgs& args);
int run_bench(const BenchArgs& args);

}  // namespace lowp::cli

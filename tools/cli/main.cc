// The `lowp` command: compile, run, inspect and bench ONNX models and lowp plans.
// Results go to stdout, diagnostics to stderr. Exit codes: 0 success, 1 failure (lowp::Error),
// 2 usage error.
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "lowp/error.h"
#include "lowp/lowp.h"
#include "tools/cli/cli_options.h"

int main(int argc, char** argv) {
  using namespace lowp::cli;
  CLI::App app{lowp::has_cuda_backend()
                   ? "lowp: compile and run ONNX models in fp32, fp16, bf16 and int8 on x86 CPUs "
                     "(oneDNN) and NVIDIA GPUs (CUDA: cuBLASLt, cuDNN; --device cuda)"
                   : "lowp: compile and run ONNX models in fp32, fp16, bf16 and int8 on x86 CPUs "
                     "(oneDNN); this build has no CUDA backend",
               "lowp"};
  app.require_subcommand(1, 1);
  app.set_help_all_flag("--help-all", "Print help for every subcommand");

  CompileArgs compile_args;
  RunArgs run_args;
  InspectArgs inspect_args;
  BenchArgs bench_args;
  CompareArgs compare_args;
  ExportArgs export_args;
  CLI::App* compile = add_compile_command(app, compile_args);
  CLI::App* run = add_run_command(app, run_args);
  CLI::App* inspect = add_inspect_command(app, inspect_args);
  CLI::App* bench = add_bench_command(app, bench_args);
  CLI::App* compare = add_compare_command(app, compare_args);
  CLI::App* export_cmd = add_export_command(app, export_args);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help / the parse error
    return code == 0 ? 0 : 2;
  }

  try {
    if (compile->parsed()) return run_compile(compile_args);
    if (run->parsed()) return run_run(run_args);
    if (inspect->parsed()) return run_inspect(inspect_args);
    if (bench->parsed()) return run_bench(bench_args);
    if (compare->parsed()) return run_compare(compare_args);
    if (export_cmd->parsed()) return run_export(export_args);
    return 2;
  } catch (const UsageError& e) {
    std::cerr << "lowp: error: " << e.what() << "\nRun with --help for more information.\n";
    return 2;
  } catch (const lowp::Error& e) {
    std::cerr << "lowp: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "lowp: error: " << e.what() << "\n";
    return 1;
  }
}

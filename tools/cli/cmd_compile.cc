// `lowp compile MODEL.onnx -o MODEL.plan`: optimise and lower a model once, save it as a plan.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "lowp/graph.h"
#include "lowp/lowp.h"
#include "tools/cli/cli_options.h"
#include "tools/cli/model_util.h"

namespace lowp::cli {

CLI::App* add_compile_command(CLI::App& app, CompileArgs& args) {
  CLI::App* cmd = app.add_subcommand("compile", "Compile an ONNX model into a lowp plan file");
  cmd->add_option("model", args.model, "ONNX model file")->required();
  cmd->add_option("-o,--output", args.output, "Plan file to write (default: MODEL with .plan)");
  add_precision_options(cmd, args.precision);
  cmd->add_option("--threads", args.threads, "Threads the plan runs with (0: all cores)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--disable-pass", args.disabled_passes, "Switch a graph pass off (repeatable)");
  cmd->add_flag("-v,--verbose", args.verbose, "Log what each pass changed to stderr");
  cmd->add_flag("--verify", args.verify,
                "Check the graph after import and after every pass (structure, types, "
                "quantization parameters); a pass that breaks it fails, named");
  cmd->add_flag("--json", args.json, "Print one JSON object instead of text");
  return cmd;
}

int run_compile(const CompileArgs& args) {
  CompileOptions options = compile_options(args.precision, args.threads);
  options.verbose = args.verbose;
  options.verify = args.verify;
  options.disabled_passes = args.disabled_passes;
  std::string output = args.output;
  if (output.empty()) {
    output = std::filesystem::path(args.model).replace_extension(".plan").string();
  }
  if (output == args.model) throw UsageError("the plan would overwrite the model: " + output);

  const auto start = std::chrono::steady_clock::now();
  std::shared_ptr<const Engine> engine = compile_model(args.model, options, args.precision);
  const double compile_ms = elapsed_ms(start);
  engine->save_plan(output);
  const double total_ms = elapsed_ms(start);

  std::error_code ec;
  const auto bytes = std::filesystem::file_size(output, ec);
  const double mb = ec ? 0.0 : static_cast<double>(bytes) / (1024.0 * 1024.0);
  if (args.json) {
    nlohmann::json j = {{"plan", output},
                        {"model", args.model},
                        {"size_mb", mb},
                        {"precision", args.precision.precision},
                        {"precision_note", precision_note(*engine)},
                        {"compile_ms", compile_ms},
                        {"total_ms", total_ms}};
    std::cout << j.dump() << "\n";
  } else {
    std::printf("%s  %s  %.2f MB (weights %.2f MB)  %.3f s (compile %.3f s)\n", output.c_str(),
                args.precision.precision.c_str(), mb,
                static_cast<double>(engine->graph().parameter_bytes()) / (1024.0 * 1024.0),
                total_ms / 1000.0, compile_ms / 1000.0);
    const std::string note = precision_note(*engine);
    if (!note.empty()) std::printf("note: %s\n", note.c_str());
  }
  return 0;
}

}  // namespace lowp::cli

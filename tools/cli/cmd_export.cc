// `lowp export MODEL.plan -o MODEL.onnx`: write a plan's graph (or an ONNX model compiled with the
// precision options) back to ONNX; int8 plans in QDQ form (frontends/onnx/onnx_exporter.h).
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string_view>

#include "frontends/onnx/onnx_exporter.h"
#include "lowp/graph.h"
#include "lowp/lowp.h"
#include "tools/cli/cli_options.h"
#include "tools/cli/model_util.h"

namespace lowp::cli {

CLI::App* add_export_command(CLI::App& app, ExportArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "export",
      "Write a plan (or an ONNX model compiled with --precision) as ONNX; int8 in QDQ form");
  cmd->add_option("model", args.model, "lowp plan, or ONNX model to compile first")->required();
  cmd->add_option("-o,--output", args.output,
                  "ONNX file to write (default: a plan's name with .onnx; a model's with "
                  ".<precision>.onnx)");
  add_precision_options(cmd, args.precision);
  cmd->add_flag("--json", args.json, "Print one JSON object instead of text");
  return cmd;
}

int run_export(const ExportArgs& args) {
  namespace fs = std::filesystem;
  const bool plan = std::string_view(args.model).ends_with(".plan");
  std::string output = args.output;
  if (output.empty()) {
    output = fs::path(args.model)
                 .replace_extension(plan ? ".onnx" : "." + args.precision.precision + ".onnx")
                 .string();
  }
  std::error_code ec;
  if (output == args.model || fs::equivalent(output, args.model, ec)) {
    throw UsageError("the export would overwrite the model: " + output);
  }

  const auto start = std::chrono::steady_clock::now();
  std::shared_ptr<const Engine> engine = load_model(args.model, args.precision, 0);
  const double load_ms = elapsed_ms(start);
  const auto export_start = std::chrono::steady_clock::now();
  onnx_frontend::ExportStats stats;
  onnx_frontend::export_onnx_file(engine->graph(), output, &stats);
  const double export_ms = elapsed_ms(export_start);

  const auto bytes = fs::file_size(output, ec);
  const double mb = ec ? 0.0 : static_cast<double>(bytes) / (1024.0 * 1024.0);
  const char* precision = precision_name(engine->options().precision);
  if (args.json) {
    nlohmann::json j = {{"onnx", output},
                        {"model", args.model},
                        {"precision", precision},
                        {"opset", onnx_frontend::kExportOpset},
                        {"size_mb", mb},
                        {"nodes", stats.nodes},
                        {"quantize_nodes", stats.quantize_nodes},
                        {"dequantize_nodes", stats.dequantize_nodes},
                        {"initializers", stats.initializers},
                        {"load_ms", load_ms},
                        {"export_ms", export_ms}};
    std::cout << j.dump() << "\n";
  } else {
    std::printf(
        "%s  %s  opset %lld  %.2f MB  %lld nodes (%lld QuantizeLinear, %lld DequantizeLinear), "
        "%lld initializers  %.3f s (export %.3f s)\n",
        output.c_str(), precision, static_cast<long long>(onnx_frontend::kExportOpset), mb,
        static_cast<long long>(stats.nodes), static_cast<long long>(stats.quantize_nodes),
        static_cast<long long>(stats.dequantize_nodes), static_cast<long long>(stats.initializers),
        (load_ms + export_ms) / 1000.0, export_ms / 1000.0);
  }
  return 0;
}

}  // namespace lowp::cli

// `lowp compile MODEL.onnx -o MODEL.plan`: optimise and lower a model once, save it as a plan.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "lowp/graph.h"
#include "lowp/lowp.h"
#include "tools/cli/accuracy_budget.h"
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
  cmd->add_option("--max-accuracy-drop", args.max_accuracy_drop,
                  "int8 / bf16: keep the most sensitive layers in fp32 until the drop from fp32 "
                  "on --validation is at most this many points (top-1, or agreement without "
                  "labels)")
      ->check(CLI::Range(0.0, 100.0));
  cmd->add_option("--validation", args.validation,
                  "Data for --max-accuracy-drop: a folder of labelled images, class subfolders, "
                  ".npy (with --validation-labels) or Fashion-MNIST idx");
  cmd->add_option("--validation-labels", args.validation_labels,
                  "Integer labels (.npy) of an .npy --validation set");
  cmd->add_option("--validation-count", args.validation_count, "Validation images to use (0: all)")
      ->check(CLI::NonNegativeNumber);
  return cmd;
}

namespace {

void print_budget(const BudgetResult& b, const std::string& precision, double max_drop) {
  const char* metric = b.labelled ? "top-1" : "agreement";
  const char* name = precision.c_str();
  std::printf("accuracy budget: %s drop %.2f points (%s alone %.2f; at most %.2f: %s)\n", metric,
              b.drop, name, b.plain_drop, max_drop, b.met ? "met" : "NOT met, every layer tried");
  if (!b.kept.empty()) {
    std::printf("kept in fp32 (most sensitive first; relative output error alone in %s):\n", name);
    for (size_t i = 0; i < b.kept.size(); ++i) {
      std::printf("  %s  %s  %.3g\n", b.ranking[i].node.c_str(), b.ranking[i].op.c_str(),
                  b.ranking[i].error);
    }
  }
  std::printf(
      "speed, batch 1 median: fp32 %.3f ms, %s %.3f ms, this plan %.3f ms (%+.1f%% over "
      "%s, %.2fx fp32)\n",
      b.fp32_ms, name, b.plain_ms, b.plan_ms, 100.0 * (b.plan_ms / b.plain_ms - 1.0), name,
      b.fp32_ms / b.plan_ms);
}

nlohmann::json budget_json(const BudgetResult& b, double max_drop) {
  nlohmann::json ranking = nlohmann::json::array();
  for (const auto& l : b.ranking)
    ranking.push_back({{"node", l.node}, {"op", l.op}, {"error", l.error}});
  return {{"metric", b.labelled ? "top1" : "agreement"},
          {"max_drop", max_drop},
          {"drop", b.drop},
          {"plain_drop", b.plain_drop},
          {"met", b.met},
          {"kept_fp32", b.kept},
          {"ranking", ranking},
          {"fp32_ms", b.fp32_ms},
          {"plain_ms", b.plain_ms},
          {"plan_ms", b.plan_ms}};
}

}  // namespace

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
  std::optional<BudgetResult> budget;
  std::shared_ptr<const Engine> engine;
  if (args.max_accuracy_drop >= 0.0) {
    if (args.model.ends_with(".plan"))
      throw UsageError("--max-accuracy-drop compiles an ONNX model");
    budget = compile_within_budget(
        args.model, args.precision, args.threads, args.disabled_passes,
        {args.max_accuracy_drop, args.validation, args.validation_labels, args.validation_count});
    engine = budget->engine;
  } else {
    if (!args.validation.empty()) throw UsageError("--validation needs --max-accuracy-drop");
    engine = compile_model(args.model, options, args.precision);
  }
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
    if (budget) j["accuracy_budget"] = budget_json(*budget, args.max_accuracy_drop);
    std::cout << j.dump() << "\n";
  } else {
    std::printf("%s  %s  %.2f MB (weights %.2f MB)  %.3f s (compile %.3f s)\n", output.c_str(),
                args.precision.precision.c_str(), mb,
                static_cast<double>(engine->graph().parameter_bytes()) / (1024.0 * 1024.0),
                total_ms / 1000.0, compile_ms / 1000.0);
    const std::string note = precision_note(*engine);
    if (!note.empty()) std::printf("note: %s\n", note.c_str());
    if (budget) print_budget(*budget, args.precision.precision, args.max_accuracy_drop);
  }
  return 0;
}

}  // namespace lowp::cli

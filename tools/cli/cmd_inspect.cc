// `lowp inspect MODEL`: inputs, outputs, op counts, parameters and one line per node.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string_view>

#include "lowp/graph.h"
#include "lowp/lowp.h"
#include "tools/cli/cli_options.h"
#include "tools/cli/model_util.h"

namespace lowp::cli {
namespace {

nlohmann::json describe(const std::vector<TensorDesc>& descs) {
  nlohmann::json list = nlohmann::json::array();
  for (const TensorDesc& d : descs) {
    list.push_back({{"name", d.name}, {"dtype", name_of(d.dtype)}, {"dims", d.dims}});
  }
  return list;
}

std::string node_outputs(const Node& node) {
  std::string s;
  for (const Value* v : node.outputs) {
    if (!s.empty()) s += " ";
    s += v ? format_shape(v->shape) : "-";
  }
  return s;
}

std::string node_precision(const Node& node) {
  for (const Value* v : node.outputs) {
    if (v) return name_of(v->dtype);
  }
  return "-";
}

// What passes fused into the node: "+sum" (residual add), "+Relu" (activation), or "".
std::string node_fused(const Node& node) {
  std::string s;
  if (node.op_type == "Conv" && node.input(3)) s += "+sum ";
  if (node.activation.present()) {
    s += std::string("+") + activation_op_type(node.activation.kind) + " ";
  }
  if (!s.empty()) s.pop_back();
  return s;
}

}  // namespace

CLI::App* add_inspect_command(CLI::App& app, InspectArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "inspect", "Show a model's inputs, outputs, op counts, parameters and nodes");
  cmd->add_option("model", args.model, "Model: .onnx or .plan")->required();
  cmd->add_flag("--json", args.json, "Print one JSON object instead of text");
  cmd->add_flag("--ir", args.ir, "Print the whole IR instead of the summary");
  cmd->add_option("--after-pass", args.after_pass,
                  "ONNX model: print the IR after this pass (each time it runs; 'import' for the "
                  "imported graph), verifying the graph after every pass");
  return cmd;
}

namespace {

// The model to describe. A CUDA plan on a machine without a usable GPU is described as the CPU
// backend would run it (the graph, precision and weights are the plan's own), with a note.
std::shared_ptr<const Engine> load_for_inspection(const std::string& path, std::string* note) {
  try {
    return load_model(path, PrecisionArgs{}, /*threads=*/0);
  } catch (const Error& e) {
    if (cuda_device_count() > 0 || !std::string_view(path).ends_with(".plan")) throw;
    PrecisionArgs cpu;
    cpu.device = "cpu";
    std::shared_ptr<const Engine> engine;
    try {
      engine = load_model(path, cpu, /*threads=*/0);
    } catch (const Error&) {
      throw e;  // not a device problem: the first error says what is wrong
    }
    *note = "a CUDA plan; no usable CUDA device here (" + cuda_unavailable_reason() +
            "), so the execution below is the CPU backend's";
    return engine;
  }
}

// The IR after each run of the pass `args.after_pass` in an fp32 compile of an ONNX model.
int print_ir_after_pass(const InspectArgs& args) {
  if (std::string_view(args.model).ends_with(".plan")) {
    throw UsageError("--after-pass needs an ONNX model: a plan holds the graph after all passes");
  }
  CompileOptions options;
  options.verify = true;
  std::vector<std::string> stages;
  std::ostringstream shown;
  options.after_each_pass = [&](const std::string& stage, const Graph& graph) {
    stages.push_back(stage);
    if (stage != args.after_pass) return;
    const auto run = std::count(stages.begin(), stages.end(), stage);
    shown << "# IR after " << stage << " (run " << run << ")\n";
    graph.print(shown);
  };
  compile_model(args.model, options, PrecisionArgs{});
  if (shown.tellp() == 0) {
    std::string names;
    for (const std::string& s : stages) {
      if (names.find("'" + s + "'") == std::string::npos)
        names += (names.empty() ? "'" : ", '") + s + "'";
    }
    throw UsageError("no pass named '" + args.after_pass + "' ran; the stages were " + names);
  }
  std::cout << shown.str();
  return 0;
}

}  // namespace

int run_inspect(const InspectArgs& args) {
  if (!args.after_pass.empty()) return print_ir_after_pass(args);
  std::string device_note;
  std::shared_ptr<const Engine> engine = load_for_inspection(args.model, &device_note);
  const Graph& graph = engine->graph();
  if (args.ir) {
    graph.print(std::cout);
    return 0;
  }
  std::map<std::string, int> op_counts;
  for (const auto& node : graph.nodes()) ++op_counts[node->op_type];
  const double weights_mb = static_cast<double>(graph.parameter_bytes()) / (1024.0 * 1024.0);

  if (args.json) {
    nlohmann::json j = {{"model", args.model},
                        {"inputs", describe(engine->inputs())},
                        {"outputs", describe(engine->outputs())},
                        {"op_counts", op_counts},
                        {"node_count", graph.nodes().size()},
                        {"parameter_count", graph.parameter_count()},
                        {"weights_mb", weights_mb},
                        {"precision", precision_name(engine->options().precision)},
                        {"precision_note", precision_note(*engine)},
                        {"device", device_name(engine->options().device)},
                        {"device_note", device_note}};
    const auto& pre = engine->options().preprocessing;
    j["preprocessing"] = pre ? nlohmann::json(to_string(*pre)) : nlohmann::json(nullptr);
    j["nodes"] = nlohmann::json::array();
    for (const auto& node : graph.nodes()) {
      j["nodes"].push_back({{"name", node->name},
                            {"op", node->op_type},
                            {"outputs", node_outputs(*node)},
                            {"precision", node_precision(*node)},
                            {"fused", node_fused(*node)}});
    }
    j["backend"] = engine->describe();
    std::cout << j.dump() << "\n";
    return 0;
  }

  std::printf("model: %s\n", args.model.c_str());
  std::printf("precision: %s\n", precision_name(engine->options().precision));
  std::printf("device: %s\n", device_name(engine->options().device));
  if (!device_note.empty()) std::printf("note: %s\n", device_note.c_str());
  if (const std::string note = precision_note(*engine); !note.empty()) {
    std::printf("note: %s\n", note.c_str());
  }
  const auto& pre = engine->options().preprocessing;
  std::printf("preprocessing: %s\n", pre ? to_string(*pre).c_str() : "none stored");
  for (const TensorDesc& d : engine->inputs()) {
    std::printf("input  %s %s %s\n", d.name.c_str(), name_of(d.dtype), format_dims(d.dims).c_str());
  }
  for (const TensorDesc& d : engine->outputs()) {
    std::printf("output %s %s %s\n", d.name.c_str(), name_of(d.dtype), format_dims(d.dims).c_str());
  }
  std::printf("nodes: %zu\n", graph.nodes().size());
  for (const auto& [op, count] : op_counts) std::printf("  %-24s %d\n", op.c_str(), count);
  std::printf("parameters: %lld (%.2f MB)\n", static_cast<long long>(graph.parameter_count()),
              weights_mb);
  int name_width = 4, op_width = 2;
  for (const auto& node : graph.nodes()) {
    name_width = std::max(name_width, static_cast<int>(node->name.size()));
    op_width = std::max(op_width, static_cast<int>(node->op_type.size()));
  }
  std::printf("%-*s  %-*s  %-20s  %-9s  %s\n", name_width, "node", op_width, "op", "output dims",
              "precision", "fused");
  for (const auto& node : graph.nodes()) {
    std::printf("%-*s  %-*s  %-20s  %-9s  %s\n", name_width, node->name.c_str(), op_width,
                node->op_type.c_str(), node_outputs(*node).c_str(), node_precision(*node).c_str(),
                node_fused(*node).c_str());
  }
  std::printf("execution (%s backend, batch 1):\n", device_name(engine->options().device));
  std::vector<std::string> slow;
  for (const std::string& line : engine->describe()) {
    std::printf("  %s\n", line.c_str());
    if (line.find("fallback") != std::string::npos || line.find("slow") != std::string::npos) {
      slow.push_back(line);
    }
  }
  if (!slow.empty()) {
    std::printf(
        "warning: %zu layer(s) run slower than their precision intends (reference fallback):\n",
        slow.size());
    for (const std::string& line : slow) std::printf("  %s\n", line.c_str());
  }
  return 0;
}

}  // namespace lowp::cli

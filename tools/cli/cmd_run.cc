// `lowp run MODEL`: run a model on npy files or images; print classes or write outputs as npy.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "lowp/lowp.h"
#include "tools/cli/cli_options.h"
#include "tools/cli/model_util.h"
#include "tools/cli/run_inputs.h"
#include "tools/io/classify.h"
#include "tools/io/labels.h"
#include "tools/io/npy.h"

namespace lowp::cli {
namespace {

// An output name as a file name: anything but [A-Za-z0-9._-] becomes '_'.
std::string file_name_for(const std::string& name) {
  std::string s = name;
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
  }
  return s.empty() || s == "." || s == ".." ? "output" : s;
}

void write_outputs(const Engine& engine, const std::vector<Tensor>& outputs,
                   const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw_error(ErrorCode::kIo, dir + ": cannot create output directory: " + ec.message());
  for (size_t i = 0; i < outputs.size(); ++i) {
    const std::string path =
        (std::filesystem::path(dir) / (file_name_for(engine.outputs()[i].name) + ".npy")).string();
    io::write_npy(path, outputs[i]);
    std::cerr << "wrote " << path << "\n";
  }
}

// Class names for a [batch, classes] output, or empty when classes are shown by index.
std::vector<std::string> class_names(const RunArgs& args, const RunInputs& inputs,
                                     int64_t classes) {
  std::vector<std::string> names;
  if (!args.labels.empty()) {
    names = io::read_labels(args.labels);
    if (static_cast<int64_t>(names.size()) != classes) {
      throw_error(ErrorCode::kInvalidArgument,
                  args.labels + ": has " + std::to_string(names.size()) +
                      " labels but the model output has " + std::to_string(classes) + " classes");
    }
  } else if (inputs.preprocessing && inputs.preprocessing->preset == "fashion" && classes == 10) {
    names = io::fashion_mnist_classes();
  }
  return names;
}

bool is_classification(const Tensor& t) {
  return traits(t.dtype()).is_float && t.rank() == 2 && t.dims()[1] > 1;
}

void print_summary(const Engine& engine, const std::vector<Tensor>& outputs) {
  for (size_t i = 0; i < outputs.size(); ++i) {
    const std::vector<float> v = outputs[i].to_float();
    double sum = 0;
    for (float x : v) sum += x;
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    std::printf("%s %s", engine.outputs()[i].name.c_str(), format_dims(outputs[i].dims()).c_str());
    if (!v.empty()) {
      std::printf(" min %.6g max %.6g mean %.6g", *lo, *hi, sum / static_cast<double>(v.size()));
    }
    std::printf("\n");
  }
}

}  // namespace

CLI::App* add_run_command(CLI::App& app, RunArgs& args) {
  CLI::App* cmd = app.add_subcommand("run", "Run a model on npy files or images");
  cmd->footer(
      "A .onnx model is compiled first, a .plan is loaded. A [batch, classes] output is shown as\n"
      "the top classes of each item with their softmax probabilities; --output-dir writes every\n"
      "output as DIR/<output name>.npy. Results go to stdout, timings to stderr.");
  cmd->add_option("model", args.model, "Model: .onnx or .plan")->required();
  cmd->add_option("input_file", args.input_file, "Input .npy for a model with one input");
  cmd->add_option("-i,--input", args.inputs, "NAME=FILE.npy for one model input (repeatable)");
  cmd->add_option("--image", args.images,
                  "JPEG or PNG image (repeatable; several images make one batch)");
  cmd->add_option("-o,--output-dir", args.output_dir, "Write each output as DIR/<name>.npy");
  cmd->add_option("--labels", args.labels,
                  "Class names, one per line (default: Fashion-MNIST names with --preprocess "
                  "fashion; otherwise class indices)");
  cmd->add_option("-k,--top-k", args.top_k, "Classes shown per item")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  add_precision_options(cmd, args.precision);
  cmd->add_option("--threads", args.threads, "Threads (0: all cores)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_flag("--json", args.json, "Print one JSON object instead of text");
  return cmd;
}

int run_run(const RunArgs& args) {
  const auto load_start = std::chrono::steady_clock::now();
  std::shared_ptr<const Engine> engine = load_model(args.model, args.precision, args.threads);
  const double load_ms = elapsed_ms(load_start);
  const RunInputs inputs = gather_run_inputs(*engine, args);
  for (const std::string& note : inputs.notes) std::cerr << "note: " << note << "\n";

  const Bindings bound = bind_and_allocate(*engine, inputs.tensors);
  const std::vector<Tensor>& outputs = bound.outputs;
  std::unique_ptr<Session> session = engine->create_session();
  const auto run_start = std::chrono::steady_clock::now();
  session->run(bound.inputs, bound.output_bindings);
  const double run_ms = elapsed_ms(run_start);

  if (!args.output_dir.empty()) write_outputs(*engine, outputs, args.output_dir);

  nlohmann::json json = {{"model", args.model}, {"load_ms", load_ms}, {"run_ms", run_ms}};
  json["outputs"] = nlohmann::json::array();
  for (size_t i = 0; i < outputs.size(); ++i) {
    json["outputs"].push_back({{"name", engine->outputs()[i].name}, {"dims", outputs[i].dims()}});
  }
  if (!args.json) {
    std::cerr << "loaded " << args.model << " in " << load_ms << " ms, ran in " << run_ms
              << " ms\n";
  }

  // Logits of any float type (an fp16 plan gives fp16 logits) are read as f32.
  const Tensor first = outputs.front().cast(DataType::kF32);
  if (!is_classification(first)) {
    if (args.json) {
      std::cout << json.dump() << "\n";
    } else if (args.output_dir.empty()) {
      print_summary(*engine, outputs);
    }
    return 0;
  }

  const int64_t batch = first.dims()[0];
  const int64_t classes = first.dims()[1];
  const std::vector<std::string> names = class_names(args, inputs, classes);
  json["items"] = nlohmann::json::array();
  for (int64_t b = 0; b < batch; ++b) {
    std::span<const float> logits(first.data<float>() + b * classes, static_cast<size_t>(classes));
    const std::vector<float> probs = io::softmax(logits);
    const std::string source =
        b < static_cast<int64_t>(inputs.sources.size()) ? inputs.sources[b] : "";
    nlohmann::json item = {{"index", b}, {"source", source}};
    item["top_k"] = nlohmann::json::array();
    if (!args.json) std::printf("[%lld] %s\n", static_cast<long long>(b), source.c_str());
    for (int64_t c : io::top_k(probs, args.top_k)) {
      nlohmann::json entry = {{"class", c}, {"probability", probs[c]}};
      if (!names.empty()) entry["label"] = names[c];
      item["top_k"].push_back(entry);
      if (!args.json) {
        std::printf("  %.4f  %4lld%s%s\n", probs[c], static_cast<long long>(c),
                    names.empty() ? "" : "  ", names.empty() ? "" : names[c].c_str());
      }
    }
    json["items"].push_back(item);
  }
  if (args.json) std::cout << json.dump() << "\n";
  return 0;
}

}  // namespace lowp::cli

// `lowp compare MODEL.onnx --precisions fp32,fp16,int8 (--image P | --dataset P)`: the same model
// compiled at several precisions, side by side against fp32: top-1, probabilities, logit
// differences, plan size, latency; on a dataset accuracy, agreement and the worst images;
// --per-layer the error of every layer (SQNR, cosine) so a user sees which to keep in fp32.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <sstream>

#include "core/atomic_file.h"
#include "lowp/graph.h"
#include "lowp/lowp.h"
#include "tools/cli/accuracy_budget.h"
#include "tools/cli/cli_options.h"
#include "tools/cli/compare_dataset.h"
#include "tools/cli/compare_metrics.h"
#include "tools/cli/compare_report.h"
#include "tools/cli/dataset_run.h"
#include "tools/cli/model_util.h"
#include "tools/io/labels.h"

namespace lowp::cli {
namespace fs = std::filesystem;

constexpr int64_t kSensitivityImages = 64;

CLI::App* add_compare_command(CLI::App& app, CompareArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "compare", "Compare precisions of one model side by side on an image or a dataset");
  cmd->add_option("model", args.model, "ONNX model, or an fp32 plan")->required();
  cmd->add_option("--precisions", args.precisions,
                  "Comma-separated precisions (fp32 is the reference)")
      ->capture_default_str();
  cmd->add_option("--image", args.image, "One image to compare on");
  cmd->add_option("-i,--input", args.input,
                  "NAME=X.npy: one preprocessed input, or a batch of them [N, ...]");
  cmd->add_option("--dataset", args.dataset,
                  "A folder of images with labels in their names, a folder of one subfolder per "
                  "class, an .npy of inputs, or Fashion-MNIST idx files");
  cmd->add_option("--dataset-format", args.dataset_format,
                  "images, folders, npy or idx (default: guessed)")
      ->check(CLI::IsMember({"images", "folders", "npy", "idx"}));
  cmd->add_option("--dataset-labels", args.dataset_labels,
                  "Y.npy: integer labels of an .npy dataset or --input batch");
  cmd->add_option("--limit", args.limit, "Use at most N dataset images (0: all)");
  cmd->add_option(
      "--labels", args.labels,
      "Class names, one per line (\"WNID name\" lines map WNID-named folders and files)");
  cmd->add_option("--report", args.report,
                  "Also write a self-contained HTML report (tables and charts) to this file");
  cmd->add_option("--batch", args.batch, "Batch size for dataset runs")->capture_default_str();
  cmd->add_option("--worst", args.worst, "How many worst images to list")->capture_default_str();
  cmd->add_option("--threads", args.threads, "Threads (0: all cores)");
  cmd->add_flag("--per-layer", args.per_layer,
                "Per-layer error against fp32 (SQNR dB, cosine) on the first image; for int8 and "
                "bf16 also each layer's sensitivity (output error with it alone in that "
                "precision, first 64 inputs), the ranking compile --max-accuracy-drop uses");
  cmd->add_flag("--json", args.json, "Print one JSON object per precision");
  add_precision_options(cmd, args.precision);
  return cmd;
}

namespace {

struct Measured {
  std::string precision;
  std::shared_ptr<const Engine> engine;
  Tensor logits;            // [n, classes] f32
  double latency_ms = 0.0;  // median per batch (per image for one image)
  int64_t plan_bytes = 0;
  std::string note;
  PrecisionSummary summary;
  std::vector<LayerError> layers;             // --per-layer, precisions other than fp32
  std::vector<LayerSensitivity> sensitivity;  // --per-layer, int8 / bf16: the budget's ranking
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

int64_t plan_size(const Engine& engine) {
  const TemporaryFile tmp("compare", ".plan");
  engine.save_plan(tmp.path);
  return static_cast<int64_t>(fs::file_size(tmp.path));
}

// `plan`'s graph compiled again at `precision` (an fp32 plan's graph is an ONNX import after the
// fp32 passes: the precision passes run on it as on a fresh import).
std::shared_ptr<const Engine> compile_from_plan(const std::shared_ptr<const Engine>& plan,
                                                const std::string& precision,
                                                const PrecisionArgs& pa, int threads) {
  if (precision == "fp32") return plan;
  CompileOptions options = compile_options(pa, threads);
  set_preprocessing_and_calibration(options, pa, plan->options().preprocessing,
                                    plan->inputs().at(0).dims);
  return Engine::compile(std::shared_ptr<Graph>(plan->graph().clone()), options);
}

std::string describe_inputs(const CompareArgs& args) {
  if (!args.image.empty()) return args.image;
  if (!args.input.empty()) return args.input;
  return args.dataset + (args.limit > 0 ? " (first " + std::to_string(args.limit) + ")" : "");
}

std::string class_label(const LabelledSet& set, int64_t c) {
  if (c >= 0 && c < static_cast<int64_t>(set.classes.size()))
    return set.classes[static_cast<size_t>(c)];
  return "#" + std::to_string(c);
}

std::vector<std::string> precisions_of(const CompareArgs& args) {
  std::vector<std::string> precisions = split(args.precisions);
  precisions.erase(std::remove(precisions.begin(), precisions.end(), "fp32"), precisions.end());
  precisions.insert(precisions.begin(), "fp32");  // the reference, always first
  for (const auto& p : precisions) parse_precision(p);
  return precisions;
}

// Every precision compiled (from the ONNX model, or from an fp32 plan's graph).
std::vector<Measured> compile_precisions(const CompareArgs& args) {
  std::shared_ptr<const Engine> plan;
  if (args.model.ends_with(".plan")) {
    plan = load_model(args.model, PrecisionArgs{}, args.threads);
    if (plan->options().precision != Precision::kFp32) {
      throw UsageError(args.model + " is a " + precision_name(plan->options().precision) +
                       " plan; compare compiles each precision from an ONNX model or an fp32 plan");
    }
  }
  std::vector<Measured> runs;
  for (const auto& p : precisions_of(args)) {
    PrecisionArgs pa = args.precision;
    pa.precision = p;
    Measured m;
    m.precision = p;
    m.engine = plan ? compile_from_plan(plan, p, pa, args.threads)
                    : compile_model(args.model, compile_options(pa, args.threads), pa);
    m.plan_bytes = plan_size(*m.engine);
    m.note = precision_note(*m.engine);
    runs.push_back(std::move(m));
  }
  if (runs[0].engine->inputs().size() != 1) {
    throw UsageError("compare takes models with one input; this one has " +
                     std::to_string(runs[0].engine->inputs().size()));
  }
  return runs;
}

std::vector<std::string> json_records(const std::vector<Measured>& runs, const LabelledSet& set) {
  std::vector<std::string> records;
  for (const Measured& m : runs) {
    const PrecisionSummary& s = m.summary;
    nlohmann::json j = {{"precision", m.precision},
                        {"device", device_name(m.engine->options().device)},
                        {"note", m.note},
                        {"images", set.images.size()},
                        {"top1_agreement", s.top1_agreement},
                        {"mean_abs_prob_change", s.mean_abs_prob_change},
                        {"max_abs_prob_change", s.max_abs_prob_change},
                        {"max_abs_logit_diff", s.max_abs_logit_diff},
                        {"mean_abs_logit_diff", s.mean_abs_logit_diff},
                        {"plan_bytes", m.plan_bytes},
                        {"latency_ms", m.latency_ms}};
    if (s.top1_accuracy >= 0) j["top1_accuracy"] = s.top1_accuracy;
    if (set.images.size() == 1) {
      j["top1_class"] = s.images[0].top1;
      j["top1_label"] = class_label(set, s.images[0].top1);
      j["top1_prob"] = s.images[0].top1_prob;
    }
    if (!m.sensitivity.empty()) {
      j["sensitivity"] = nlohmann::json::array();
      for (const auto& l : m.sensitivity)
        j["sensitivity"].push_back({{"node", l.node}, {"op", l.op}, {"error", l.error}});
    }
    if (!m.layers.empty()) {
      j["layers"] = nlohmann::json::array();
      for (const auto& e : m.layers) {
        j["layers"].push_back({{"value", e.value},
                               {"op", e.op},
                               {"sqnr_db", std::isinf(e.sqnr_db) ? 999.0 : e.sqnr_db},
                               {"cosine", e.cosine}});
      }
    }
    records.push_back(j.dump());
  }
  return records;
}

double megabytes(int64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

void print_one_image(const std::vector<Measured>& runs, const LabelledSet& set) {
  const float ref_prob = runs[0].summary.images[0].top1_prob;
  std::printf("%-9s %-6s %-22s %9s %10s %10s %10s %9s %10s\n", "precision", "device", "top-1",
              "prob", "vs fp32", "max|dlog|", "mean|dlog|", "plan MB", "ms");
  for (const Measured& m : runs) {
    const ImageResult& r = m.summary.images[0];
    std::string top = std::to_string(r.top1) + " " + class_label(set, r.top1);
    std::printf("%-9s %-6s %-22s %9.4f %+10.4f %10.4f %10.4f %9.2f %10.2f\n", m.precision.c_str(),
                device_name(m.engine->options().device), top.substr(0, 22).c_str(), r.top1_prob,
                r.top1_prob - ref_prob, r.max_abs_logit_diff, r.mean_abs_logit_diff,
                megabytes(m.plan_bytes), m.latency_ms);
  }
  if (set.labels[0] >= 0) std::printf("label: %s\n", class_label(set, set.labels[0]).c_str());
}

void print_dataset(const std::vector<Measured>& runs, const LabelledSet& set, int worst) {
  std::printf("%-9s %9s %10s %12s %12s %10s %9s %12s\n", "precision", "top-1 acc", "agree fp32",
              "mean|dprob|", "max|dprob|", "max|dlog|", "plan MB", "ms/batch");
  for (const Measured& m : runs) {
    const PrecisionSummary& s = m.summary;
    std::string acc =
        s.top1_accuracy >= 0 ? std::to_string(100.0 * s.top1_accuracy).substr(0, 6) + "%" : "-";
    std::printf("%-9s %9s %9.2f%% %12.5f %12.5f %10.4f %9.2f %12.2f\n", m.precision.c_str(),
                acc.c_str(), 100.0 * s.top1_agreement, s.mean_abs_prob_change,
                s.max_abs_prob_change, s.max_abs_logit_diff, megabytes(m.plan_bytes), m.latency_ms);
  }
  for (size_t k = 1; k < runs.size(); ++k) {
    const auto& imgs = runs[k].summary.images;
    std::vector<size_t> order(imgs.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return imgs[a].prob_change > imgs[b].prob_change; });
    std::printf("worst images for %s (probability change of fp32's top-1):\n",
                runs[k].precision.c_str());
    for (int w = 0; w < worst && w < static_cast<int>(order.size()); ++w) {
      size_t i = order[static_cast<size_t>(w)];
      std::printf("  %-48s %.4f  fp32 %s -> %s\n", set.names[i].c_str(), imgs[i].prob_change,
                  class_label(set, runs[0].summary.images[i].top1).c_str(),
                  class_label(set, imgs[i].top1).c_str());
    }
  }
}

void print_text(const CompareArgs& args, const std::vector<Measured>& runs,
                const LabelledSet& set) {
  std::printf("model %s, %zu image%s%s\n", args.model.c_str(), set.images.size(),
              set.images.size() == 1 ? "" : "s",
              set.images.size() == 1 ? (": " + set.names[0]).c_str() : "");
  if (set.images.size() == 1) {
    print_one_image(runs, set);
  } else {
    print_dataset(runs, set, args.worst);
  }
  for (const auto& m : runs) {
    if (!m.note.empty()) std::printf("note (%s): %s\n", m.precision.c_str(), m.note.c_str());
  }
  for (const auto& m : runs) {
    if (m.sensitivity.empty()) continue;
    std::printf(
        "%s layer sensitivity, most sensitive first (relative output error with the "
        "layer alone in %s, first %lld inputs):\n",
        m.precision.c_str(), m.precision.c_str(),
        static_cast<long long>(std::min<size_t>(kSensitivityImages, set.images.size())));
    for (const auto& l : m.sensitivity) {
      std::printf("  %-48s %-6s %.3g\n", l.node.c_str(), l.op.c_str(), l.error);
    }
  }
  for (const auto& m : runs) {
    if (m.layers.empty()) continue;
    std::printf("per-layer error of %s against fp32 (first image):\n", m.precision.c_str());
    for (const auto& e : m.layers) {
      std::printf("  %-48s %-18s SQNR %7.2f dB  cosine %.6f\n", e.value.c_str(), e.op.c_str(),
                  e.sqnr_db, e.cosine);
    }
  }
}

void write_report(const CompareArgs& args, const std::vector<Measured>& runs,
                  const LabelledSet& set, const std::optional<Preprocessing>& pre, int batch) {
  CompareReport report{args.model, describe_inputs(args), pre, &set, {}, batch};
  for (const Measured& m : runs) {
    report.runs.push_back({m.precision, device_name(m.engine->options().device), m.note,
                           m.latency_ms, m.plan_bytes, m.summary, m.layers, m.sensitivity});
  }
  write_file_atomically(args.report, render_compare_report(report));
  std::fprintf(stderr, "wrote %s\n", args.report.c_str());
}

// Every precision compiled, run on the inputs and summarised against fp32; the HTML report
// written when asked.
struct Compared {
  std::vector<Measured> runs;
  LabelledSet set;
};

Compared measure(const CompareArgs& given) {
  if (!given.image.empty() + !given.input.empty() + !given.dataset.empty() != 1)
    throw UsageError("give exactly one of --image, --input or --dataset");
  // The int8 sensitivity compiles every variant from the int8 compile's ranges: keep them.
  CompareArgs args = given;
  const TemporaryFile cache("compare", ".calib.json");
  if (args.per_layer && args.precision.calib_cache.empty()) args.precision.calib_cache = cache.path;
  Compared c;
  std::vector<Measured>& runs = c.runs;
  runs = compile_precisions(args);
  const TensorDesc& input = runs[0].engine->inputs()[0];
  const std::optional<Preprocessing> pre = resolve_preprocessing(
      args.precision.preprocess, runs[0].engine->options().preprocessing, input.dims);
  std::vector<std::string> classes;
  if (!args.labels.empty())
    classes = io::read_labels(args.labels);
  else if (pre && pre->preset == "fashion")
    classes = io::fashion_mnist_classes();
  c.set = load_compare_inputs(
      {args.image, args.input, args.dataset, args.dataset_format, args.dataset_labels, args.limit},
      input, pre, classes);
  const LabelledSet& set = c.set;
  for (const std::string& note : set.notes) std::fprintf(stderr, "note: %s\n", note.c_str());

  const int batch = set.images.size() > 1 ? std::max(1, args.batch) : 1;
  for (auto& m : runs) m.logits = run_set(*m.engine, set, batch, &m.latency_ms);
  for (auto& m : runs) m.summary = summarise(m.logits, runs[0].logits, set.labels);
  for (size_t k = 1; args.per_layer && k < runs.size(); ++k) {
    runs[k].layers =
        per_layer_errors(runs[0].engine->graph(), runs[k].engine->graph(), set.images[0]);
    if (runs[k].precision == "int8" || runs[k].precision == "bf16") {
      PrecisionArgs pa = args.precision;
      pa.precision = runs[k].precision;
      runs[k].sensitivity =
          rank_layers(*runs[0].engine, *runs[k].engine, pa, args.threads, set, kSensitivityImages);
    }
  }
  if (!args.report.empty()) write_report(args, runs, set, pre, batch);
  return c;
}

}  // namespace

std::vector<std::string> compare_json(const CompareArgs& args) {
  const Compared c = measure(args);
  return json_records(c.runs, c.set);
}

int run_compare(const CompareArgs& args) {
  const Compared c = measure(args);
  if (args.json) {
    for (const std::string& record : json_records(c.runs, c.set)) std::cout << record << "\n";
  } else {
    print_text(args, c.runs, c.set);
  }
  return 0;
}

}  // namespace lowp::cli

// `lowp bench MODEL`: latency of Session::run on random input with caller-owned buffers.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <thread>

#include "lowp/lowp.h"
#include "tools/cli/cli_options.h"
#include "tools/cli/model_util.h"

namespace lowp::cli {
namespace {

std::map<std::string, Dims> parse_shapes(const std::vector<std::string>& specs) {
  std::map<std::string, Dims> shapes;
  for (const std::string& spec : specs) {
    const size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw UsageError("--shape expects NAME=D0,D1,..., got '" + spec + "'");
    }
    Dims dims;
    std::string rest = spec.substr(eq + 1);
    size_t pos = 0;
    while (pos <= rest.size()) {
      const size_t comma = std::min(rest.find(',', pos), rest.size());
      const std::string part = rest.substr(pos, comma - pos);
      size_t used = 0;
      long long d = -1;
      try {
        d = std::stoll(part, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (part.empty() || used != part.size() || d < 0) {
        throw UsageError("--shape '" + spec + "': dimensions must be non-negative integers");
      }
      dims.push_back(d);
      pos = comma + 1;
    }
    shapes[spec.substr(0, eq)] = dims;
  }
  return shapes;
}

// The dims to benchmark input `desc` with: --shape if given, else the model's with the leading
// dynamic dimension set to the batch.
Dims bench_dims(const TensorDesc& desc, const std::map<std::string, Dims>& shapes, int batch) {
  if (auto it = shapes.find(desc.name); it != shapes.end()) return it->second;
  Dims dims = desc.dims;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] >= 0) continue;
    if (i != 0) {
      throw UsageError("input '" + desc.name + "' " + format_dims(desc.dims) +
                       " has a dynamic dimension besides the batch; give its dims with --shape " +
                       desc.name + "=D0,D1,...");
    }
    dims[i] = batch;
  }
  return dims;
}

Tensor random_input(DataType dtype, const Dims& dims, std::mt19937& rng) {
  Tensor t(dtype, dims);
  if (dtype == DataType::kF32) {
    std::uniform_real_distribution<float> dist(-1.f, 1.f);
    for (float& v : std::span<float>(t.data<float>(), static_cast<size_t>(t.numel()))) {
      v = dist(rng);
    }
  }
  return t;  // other dtypes stay zero (valid indices, masks, ...)
}

// numpy.percentile's default (linear interpolation) over sorted values.
double percentile(const std::vector<double>& sorted, double p) {
  const double rank = p / 100.0 * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(rank);
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - static_cast<double>(lo));
}

}  // namespace

CLI::App* add_bench_command(CLI::App& app, BenchArgs& args) {
  CLI::App* cmd = app.add_subcommand("bench", "Measure a model's latency and throughput");
  cmd->footer(
      "Times Session::run on random input (the dynamic batch set to --batch) with preallocated,\n"
      "caller-owned buffers. Latencies are percentiles of the timed runs; images_per_s is\n"
      "batch / median.");
  cmd->add_option("model", args.model, "Model: .onnx or .plan")->required();
  cmd->add_option("-b,--batch", args.batch, "Batch size")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("-n,--iterations", args.iterations, "Timed runs")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("-w,--warmup", args.warmup, "Untimed runs first")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  add_precision_options(cmd, args.precision);
  cmd->add_option("--threads", args.threads, "Threads (0: all cores)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--shape", args.shapes,
                  "NAME=D0,D1,... dims of an input with other dynamic dimensions (repeatable)");
  cmd->add_option("--seed", args.seed, "Random input seed")->capture_default_str();
  cmd->add_flag("--json", args.json, "Print exactly one JSON object on stdout");
  return cmd;
}

int run_bench(const BenchArgs& args) {
  std::shared_ptr<const Engine> engine = load_model(args.model, args.precision, args.threads);
  const std::map<std::string, Dims> shapes = parse_shapes(args.shapes);
  for (const auto& [name, dims] : shapes) {
    bool known = false;
    for (const TensorDesc& d : engine->inputs()) known = known || d.name == name;
    if (!known) throw UsageError("--shape: the model has no input '" + name + "'");
  }

  std::mt19937 rng(args.seed);
  std::vector<Tensor> inputs;
  for (const TensorDesc& desc : engine->inputs()) {
    inputs.push_back(random_input(desc.dtype, bench_dims(desc, shapes, args.batch), rng));
  }
  const Bindings bound = bind_and_allocate(*engine, inputs);
  const auto& input_bindings = bound.inputs;
  const auto& output_bindings = bound.output_bindings;
  std::unique_ptr<Session> session = engine->create_session();
  for (int i = 0; i < args.warmup; ++i) session->run(input_bindings, output_bindings);
  std::vector<double> times;
  times.reserve(static_cast<size_t>(args.iterations));
  for (int i = 0; i < args.iterations; ++i) {
    const auto start = std::chrono::steady_clock::now();
    session->run(input_bindings, output_bindings);
    times.push_back(elapsed_ms(start));
  }
  const double mean = std::accumulate(times.begin(), times.end(), 0.0) / times.size();
  std::sort(times.begin(), times.end());
  const double median = percentile(times, 50);
  const int threads =
      args.threads > 0 ? args.threads : static_cast<int>(std::thread::hardware_concurrency());

  nlohmann::json j = {{"model", args.model},
                      {"batch", args.batch},
                      {"threads", threads},
                      {"iterations", args.iterations},
                      {"warmup", args.warmup},
                      {"median_ms", median},
                      {"p90_ms", percentile(times, 90)},
                      {"p99_ms", percentile(times, 99)},
                      {"mean_ms", mean},
                      {"min_ms", times.front()},
                      {"images_per_s", median > 0 ? args.batch * 1000.0 / median : 0.0}};
  if (args.json) {
    std::cout << j.dump() << "\n";
    return 0;
  }
  for (const char* key : {"model", "batch", "threads", "iterations", "warmup"}) {
    std::cout << key << ": " << (j[key].is_string() ? j[key].get<std::string>() : j[key].dump())
              << "\n";
  }
  for (const char* key : {"median_ms", "p90_ms", "p99_ms", "mean_ms", "min_ms", "images_per_s"}) {
    std::printf("%s: %.3f\n", key, j[key].get<double>());
  }
  return 0;
}

}  // namespace lowp::cli

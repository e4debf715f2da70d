// Many threads on one engine (issue 12): 8 threads share one loaded plan, each running a mix of
// input shapes (batch and spatial dims vary, and every shape is first used by several threads at
// once) at fp32, bf16 (where the CPU has it) and int8, 1,000 runs in all; every output must be
// bit-identical to the same plan run on one thread (the data-race test for a TSan build).
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "backends/cpu/cpu_precision.h"
#include "lowp/lowp.h"
#include "tests/onnx_model_builder.h"
#include "tests/test_util.h"
#include "tools/io/calibration_sources.h"

using namespace lowp;
using namespace lowp::testing;
namespace fs = std::filesystem;

namespace {

// Conv -> Relu -> MaxPool -> Conv -> GlobalAveragePool -> Flatten on x[N, 3, H, W]: batch and
// spatial dims all dynamic, so every shape is a program of its own.
std::string dynamic_model(const fs::path& dir) {
  auto m = make_model(13);
  auto* x = m.mutable_graph()->add_input();
  add_io(x, "x", {1, 3, 1, 1});
  auto* shape = x->mutable_type()->mutable_tensor_type()->mutable_shape();
  shape->mutable_dim(0)->set_dim_param("N");
  shape->mutable_dim(2)->set_dim_param("H");
  shape->mutable_dim(3)->set_dim_param("W");
  add_io(m.mutable_graph()->add_output(), "y", {-1, 4});
  std::vector<float> w1(8 * 3 * 3 * 3), w2(4 * 8 * 3 * 3);
  for (size_t i = 0; i < w1.size(); ++i) w1[i] = static_cast<float>((i * 7) % 13) / 13.f - 0.45f;
  for (size_t i = 0; i < w2.size(); ++i) w2[i] = static_cast<float>((i * 5) % 11) / 11.f - 0.5f;
  add_initializer(m, "w1", {8, 3, 3, 3}, w1);
  add_initializer(m, "w2", {4, 8, 3, 3}, w2);
  set_ints(add_node(m, "Conv", "conv1", {"x", "w1"}, {"c1"}), "pads", {1, 1, 1, 1});
  add_node(m, "Relu", "relu", {"c1"}, {"r1"});
  auto* pool = add_node(m, "MaxPool", "pool", {"r1"}, {"p1"});
  set_ints(pool, "kernel_shape", {2, 2});
  set_ints(pool, "strides", {2, 2});
  set_ints(add_node(m, "Conv", "conv2", {"p1", "w2"}, {"c2"}), "pads", {1, 1, 1, 1});
  add_node(m, "GlobalAveragePool", "gap", {"c2"}, {"g"});
  add_node(m, "Flatten", "flatten", {"g"}, {"y"});
  const std::string path = (dir / "dynamic.onnx").string();
  save_model(m, path);
  return path;
}

const Dims kShapes[] = {{1, 3, 8, 8}, {2, 3, 8, 8},  {3, 3, 6, 10}, {1, 3, 12, 4},
                        {5, 3, 4, 4}, {2, 3, 10, 6}, {4, 3, 8, 12}, {1, 3, 16, 16}};
constexpr int kThreads = 8;
constexpr int kRuns = 1000;

bool identical(const Tensor& a, const Tensor& b) {
  return a.dims() == b.dims() && a.dtype() == b.dtype() &&
         std::memcmp(a.raw(), b.raw(), a.bytes()) == 0;
}

void check_precision(Precision precision, const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("lowp_concurrency_" + std::to_string(::getpid()) + "_" + name);
  fs::create_directories(dir);
  CompileOptions options;
  options.precision = precision;
  if (precision == Precision::kInt8) {
    options.calibration.source =
        io::make_calibration_source("random", "random", 8, 4, std::nullopt, {-1, 3, 8, 8});
  }
  const std::string plan = (dir / "model.plan").string();
  Engine::compile_onnx(dynamic_model(dir), options)->save_plan(plan);

  std::vector<Tensor> inputs;
  for (size_t i = 0; i < std::size(kShapes); ++i) {
    inputs.push_back(random_tensor(kShapes[i], 100 + static_cast<uint32_t>(i)));
  }
  // The single-thread answers, from an engine of its own.
  auto alone = Engine::load_plan(plan);
  std::vector<Tensor> want;
  for (const Tensor& x : inputs) want.push_back(alone->create_session()->run({{"x", x}}).at(0));

  auto shared = Engine::load_plan(plan);
  std::atomic<int> mismatches{0}, errors{0}, runs{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto session = shared->create_session();
      for (int i = 0; i < kRuns / kThreads; ++i) {
        // Every thread walks the shapes from the first one: each is first used by all at once.
        const size_t k = static_cast<size_t>(i + (i >= 8 ? t : 0)) % inputs.size();
        try {
          const Tensor y = session->run({{"x", inputs[k]}}).at(0);
          if (!identical(y, want[k])) ++mismatches;
        } catch (const Error&) {
          ++errors;
        }
        ++runs;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(runs.load(), kRuns);
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(mismatches.load(), 0) << name << ": outputs differ from the single-thread run";
  fs::remove_all(dir);
}

TEST(Concurrency, EightThreadsShareOneFp32Engine) { check_precision(Precision::kFp32, "fp32"); }

TEST(Concurrency, EightThreadsShareOneBf16Engine) {
  if (!cpu::cpu_has_bf16()) GTEST_SKIP() << "this CPU has no AVX512-BF16";
  check_precision(Precision::kBf16, "bf16");
}

TEST(Concurrency, EightThreadsShareOneInt8Engine) { check_precision(Precision::kInt8, "int8"); }

}  // namespace

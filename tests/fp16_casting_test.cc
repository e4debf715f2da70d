// Fp16CastingPass (fp16 and bf16) on small graphs through the reference executor, and fp16 / bf16
// plans on the CPU backend: the Fashion ResNet-18 (plan size, logits vs fp32) and the ImageNet
// ResNet-18 graph (bf16 speed vs fp32).
#include "passes/fp16_casting.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backends/cpu/cpu_precision.h"
#include "engine/pass_pipeline.h"
#include "frontends/onnx/onnx_importer.h"
#include "lowp/backend.h"
#include "lowp/lowp.h"
#include "lowp/shape_propagation.h"
#include "reference/reference_executor.h"
#include "tests/models/resnet18_imagenet.h"
#include "tests/test_util.h"
#include "tools/io/npy.h"

namespace lowp {
namespace {

using testing::max_abs_diff;
using testing::random_tensor;

// x[N,3,8,8] -> Conv+Relu -> MaxPool -> Conv (+residual) -> GlobalAveragePool -> Flatten -> Gemm
// -> Softmax -> y.
std::shared_ptr<Graph> small_graph() {
  auto g = std::make_shared<Graph>();
  uint32_t seed = 7;
  auto constant = [&](const std::string& name, Dims dims) {
    return g->add_constant(name, random_tensor(dims, seed++, -0.5f, 0.5f));
  };
  auto node = [&](const std::string& op, const std::string& name, std::vector<Value*> in,
                  std::map<std::string, Attribute> attrs = {}, FusedActivation act = {}) {
    Node* n = g->add_node(op, name, std::move(in), {g->add_value(name + "_out")});
    n->attributes = std::move(attrs);
    n->activation = act;
    return n->outputs[0];
  };
  const FusedActivation relu = FusedActivation::of(ActivationKind::kRelu);
  Value* x = g->add_value("x", DataType::kF32, Shape::from_dims({2, 3, 8, 8}));
  g->inputs.push_back(x);
  Value* c1 = node("Conv", "conv1", {x, constant("w1", {8, 3, 3, 3}), constant("b1", {8})},
                   {{"pads", std::vector<int64_t>{1, 1, 1, 1}}}, relu);
  Value* p =
      node("MaxPool", "pool", {c1},
           {{"kernel_shape", std::vector<int64_t>{2, 2}}, {"strides", std::vector<int64_t>{2, 2}}});
  Value* c2 = node("Conv", "conv2", {p, constant("w2", {8, 8, 3, 3}), constant("b2", {8}), p},
                   {{"pads", std::vector<int64_t>{1, 1, 1, 1}}}, relu);
  Value* gap = node("GlobalAveragePool", "gap", {c2});
  Value* flat = node("Flatten", "flatten", {gap});
  Value* fc = node("Gemm", "fc", {flat, constant("wfc", {5, 8}), constant("bfc", {5})},
                   {{"transB", int64_t{1}}});
  Value* y = node("Softmax", "softmax", {fc}, {{"axis", int64_t{1}}});
  g->outputs.push_back(y);
  propagate_shapes(*g);
  return g;
}

Fp16CastingOptions options_for(DataType target, bool keep_io = true) {
  Fp16CastingOptions o;
  o.target = target;
  o.keep_io_types = keep_io;
  return o;
}

bool run_pass(Graph& g, const Fp16CastingOptions& o, PassContext* log = nullptr) {
  PassContext ctx;
  bool changed = Fp16CastingPass(o).run(g, log ? *log : ctx);
  propagate_shapes(g);  // re-infers every dtype: the casted graph must be consistent
  return changed;
}

const Node* find_node(const Graph& g, const std::string& name) {
  for (const auto& n : g.nodes()) {
    if (n->name == name) return n.get();
  }
  return nullptr;
}

int count_op(const Graph& g, const std::string& op) {
  int c = 0;
  for (const auto& n : g.nodes()) c += n->op_type == op;
  return c;
}

TEST(Fp16Casting, WeightsAndActivationsBecomeF16AndReferenceAgrees) {
  auto before = small_graph();
  auto after = std::shared_ptr<Graph>(before->clone());
  PassContext ctx;
  ASSERT_TRUE(run_pass(*after, options_for(DataType::kF16), &ctx));
  ASSERT_FALSE(ctx.log.empty());
  std::printf("%s\n", ctx.log.back().c_str());
  for (const char* conv : {"conv1", "conv2", "fc"}) {
    const Node* n = find_node(*after, conv);
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->inputs[1]->dtype, DataType::kF16) << conv;
    EXPECT_TRUE(n->inputs[1]->is_constant());
    EXPECT_EQ(n->outputs[0]->dtype, DataType::kF16) << conv;
  }
  // Softmax stays fp32 (Fp16Policy::kNever): a Cast before it; graph I/O stay f32.
  EXPECT_EQ(find_node(*after, "softmax")->inputs[0]->dtype, DataType::kF32);
  EXPECT_EQ(find_node(*after, "softmax")->inputs[0]->producer->op_type, "Cast");
  EXPECT_EQ(after->inputs[0]->dtype, DataType::kF32);
  EXPECT_EQ(after->outputs[0]->dtype, DataType::kF32);
  EXPECT_EQ(count_op(*after, "Cast"), 2);
  EXPECT_LT(after->parameter_bytes() * 100, before->parameter_bytes() * 51);

  Tensor x = random_tensor({2, 3, 8, 8}, 3);
  Tensor ref = reference::run_graph(*before, {x})[0];
  Tensor got = reference::run_graph(*after, {x})[0];
  EXPECT_EQ(got.dtype(), DataType::kF32);
  EXPECT_LT(max_abs_diff(got, ref), 2e-3f);
}

TEST(Fp16Casting, SecondRunChangesNothing) {
  for (DataType target : {DataType::kF16, DataType::kBF16}) {
    for (bool keep_io : {true, false}) {
      auto g = small_graph();
      ASSERT_TRUE(run_pass(*g, options_for(target, keep_io)));
      const size_t nodes = g->nodes().size();
      EXPECT_FALSE(run_pass(*g, options_for(target, keep_io)));
      EXPECT_EQ(g->nodes().size(), nodes);
    }
  }
}

TEST(Fp16Casting, GraphIoBecomesF16WithoutKeepIoTypes) {
  auto before = small_graph();
  auto after = std::shared_ptr<Graph>(before->clone());
  ASSERT_TRUE(run_pass(*after, options_for(DataType::kF16, false)));
  EXPECT_EQ(after->inputs[0]->dtype, DataType::kF16);
  EXPECT_EQ(after->outputs[0]->dtype, DataType::kF16);
  EXPECT_EQ(after->outputs[0]->name, before->outputs[0]->name);  // callers bind the same names
  EXPECT_EQ(after->inputs[0]->consumers[0]->op_type, "Conv");    // no Cast at the input

  Tensor x = random_tensor({2, 3, 8, 8}, 4);
  Tensor ref = reference::run_graph(*before, {x})[0];
  Tensor got = reference::run_graph(*after, {x.cast(DataType::kF16)})[0];
  ASSERT_EQ(got.dtype(), DataType::kF16);
  EXPECT_LT(max_abs_diff(got.cast(DataType::kF32), ref), 2e-3f);
}

TEST(Fp16Casting, KeepFp32ByNameOpTypeAndRange) {
  auto g = small_graph();
  Fp16CastingOptions o = options_for(DataType::kF16);
  o.keep_fp32 = {"conv2", "Gemm"};
  o.activation_ranges = {{"conv1_out", 70000.f}};
  ASSERT_FALSE(run_pass(*g, o));  // nothing left to lower: conv1 out of range, rest kept
  for (const char* n : {"conv1", "conv2", "fc"}) {
    EXPECT_EQ(find_node(*g, n)->inputs[1]->dtype, DataType::kF32) << n;
  }
  auto h = small_graph();
  o.activation_ranges = {{"conv1_out", 1000.f}};
  ASSERT_TRUE(run_pass(*h, o));
  EXPECT_EQ(find_node(*h, "conv1")->inputs[1]->dtype, DataType::kF16);
  EXPECT_EQ(find_node(*h, "pool")->outputs[0]->dtype, DataType::kF16);  // follows its input
  EXPECT_EQ(find_node(*h, "conv2")->inputs[1]->dtype, DataType::kF32);
  EXPECT_EQ(find_node(*h, "fc")->inputs[1]->dtype, DataType::kF32);
  Tensor x = random_tensor({2, 3, 8, 8}, 5);
  EXPECT_LT(max_abs_diff(reference::run_graph(*h, {x})[0], reference::run_graph(*g, {x})[0]),
            2e-3f);
}

// A weight fp16 cannot hold (|w| > 65504) keeps its node fp32 instead of becoming inf.
TEST(Fp16Casting, ConstantsBeyondHalfRangeKeepTheirNodeFp32) {
  auto g = std::make_shared<Graph>();
  Value* x = g->add_value("x", DataType::kF32, Shape::from_dims({1, 4}));
  g->inputs = {x};
  Tensor big(DataType::kF32, {4});
  Tensor small(DataType::kF32, {4});
  for (int i = 0; i < 4; ++i) {
    big.data<float>()[i] = 1e5f;
    small.data<float>()[i] = 1e-5f;
  }
  Value* scaled = g->add_value("scaled");
  Value* y = g->add_value("y");
  g->add_node("Mul", "up", {x, g->add_constant("big", big)}, {scaled});
  g->add_node("Mul", "down", {scaled, g->add_constant("small", small)}, {y});
  g->outputs = {y};
  propagate_shapes(*g);
  Tensor in = random_tensor({1, 4}, 9);
  const Tensor want = reference::run_graph(*g, {in})[0];
  run_pass(*g, options_for(DataType::kF16));
  EXPECT_EQ(find_node(*g, "up")->inputs[1]->dtype, DataType::kF32);
  const Tensor got = reference::run_graph(*g, {in})[0];
  for (float v : got.to_float()) EXPECT_TRUE(std::isfinite(v));
  EXPECT_LT(max_abs_diff(got, want), 1e-3f);
}

// A value past 65504 crossing from an fp32 node into an fp16 one saturates instead of becoming inf.
TEST(Fp16Casting, CastsIntoFp16Saturate) {
  auto g = std::make_shared<Graph>();
  Value* x = g->add_value("x", DataType::kF32, Shape::from_dims({1, 4}));
  g->inputs = {x};
  Tensor big(DataType::kF32, {});
  *big.data<float>() = 1000.f;
  Value* scaled = g->add_value("scaled");
  Value* y = g->add_value("y");
  Tensor identity(DataType::kF32, {4, 4});
  for (int i = 0; i < 16; ++i) identity.data<float>()[i] = i % 5 == 0 ? 1.f : 0.f;
  g->add_node("Mul", "up", {x, g->add_constant("big", big)}, {scaled});
  g->add_node("MatMul", "same", {scaled, g->add_constant("identity", identity)}, {y});
  g->outputs = {y};
  propagate_shapes(*g);
  Fp16CastingOptions o = options_for(DataType::kF16);
  o.keep_fp32 = {"up"};  // fp32 node, then an fp16 MatMul: one cast into fp16 between them
  run_pass(*g, o);
  EXPECT_EQ(count_op(*g, "Clip"), 1);
  Tensor in(DataType::kF32, {1, 4});
  const float xs[4] = {100.f, -100.f, 1.f, 65.f};
  std::copy(xs, xs + 4, in.data<float>());
  const std::vector<float> got = reference::run_graph(*g, {in})[0].to_float();
  EXPECT_EQ(got[0], 65504.f);  // 100000 saturated
  EXPECT_EQ(got[1], -65504.f);
  EXPECT_EQ(got[2], 1000.f);
  EXPECT_EQ(got[3], 64992.f);  // 65000 rounded to the nearest half
}

// fp16 checks ranges on calibration data only: a calibration cache alone (int8's clipped ranges)
// is not data, and must not make fp16 fail asking for a source.
TEST(Fp16CastingCpu, Fp16WithOnlyACalibrationCacheCompiles) {
  auto g = small_graph();
  const std::string cache = (std::filesystem::temp_directory_path() /
                             ("lowp_fp16_cache_" + std::to_string(::getpid()) + ".json"))
                                .string();
  std::FILE* f = std::fopen(cache.c_str(), "w");
  std::fputs(R"({"calibrator": "minmax", "percentile": 99.99, "images": 1, "tensors": {}})", f);
  std::fclose(f);
  CompileOptions o;
  o.precision = Precision::kFp16;
  o.calibration.cache_path = cache;
  EXPECT_NO_THROW(Engine::compile(g, o));
  std::filesystem::remove(cache);
}

TEST(Fp16Casting, Bf16MarksTheSameRegionAndReferenceAgrees) {
  auto before = small_graph();
  auto after = std::shared_ptr<Graph>(before->clone());
  // keep_io_types=false is ignored for bf16: callers keep f32 I/O.
  ASSERT_TRUE(run_pass(*after, options_for(DataType::kBF16, false)));
  EXPECT_EQ(find_node(*after, "conv1")->inputs[1]->dtype, DataType::kBF16);
  EXPECT_EQ(find_node(*after, "fc")->outputs[0]->dtype, DataType::kBF16);
  EXPECT_EQ(after->inputs[0]->dtype, DataType::kF32);
  EXPECT_EQ(after->outputs[0]->dtype, DataType::kF32);
  Tensor x = random_tensor({2, 3, 8, 8}, 6);
  EXPECT_LT(
      max_abs_diff(reference::run_graph(*after, {x})[0], reference::run_graph(*before, {x})[0]),
      2e-2f);
}

// The CPU backend runs the casted graphs and agrees with the reference executor on them.
void expect_cpu_matches_reference(DataType target, bool keep_io, float tol) {
  auto g = small_graph();
  ASSERT_TRUE(run_pass(*g, options_for(target, keep_io)));
  Tensor x = random_tensor({2, 3, 8, 8}, 9).cast(g->inputs[0]->dtype);
  Tensor ref = reference::run_graph(*g, {x})[0];
  auto model = compile_for_cpu(g, CompileOptions{});
  auto ctx = model->create_context();
  Tensor y(g->outputs[0]->dtype, ref.dims());
  model->run(*ctx, {&x}, {&y});
  EXPECT_LT(max_abs_diff(y.cast(DataType::kF32), ref.cast(DataType::kF32)), tol);
  auto lines = model->describe();
  ASSERT_FALSE(lines.empty());
  for (const auto& l : lines) std::printf("  %s\n", l.c_str());
  if (target == DataType::kF16) {
    EXPECT_EQ(lines[0], cpu_precision_note(Precision::kFp16));
  }
}

TEST(Fp16CastingCpu, Fp16PlanRunsInF32) {
  expect_cpu_matches_reference(DataType::kF16, true, 2e-3f);
}
TEST(Fp16CastingCpu, Fp16PlanWithF16Io) {
  expect_cpu_matches_reference(DataType::kF16, false, 2e-3f);
}
// Without AVX512-BF16 a bf16 graph is refused with a reason that says so (the tests never skip).
void expect_bf16_refused(const std::function<void()>& compile) {
  try {
    compile();
    ADD_FAILURE() << "a bf16 plan compiled on a CPU without AVX512-BF16";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("AVX512-BF16"), std::string::npos) << e.what();
  }
}

TEST(Fp16CastingCpu, Bf16PlanRunsOnOnednn) {
  auto g = small_graph();
  run_pass(*g, options_for(DataType::kBF16));
  if (!cpu::cpu_has_bf16()) {
    expect_bf16_refused([&] { compile_for_cpu(g, CompileOptions{}); });
    return;
  }
  expect_cpu_matches_reference(DataType::kBF16, true, 1e-2f);
  auto lines = compile_for_cpu(g, CompileOptions{})->describe();
  int bf16_convs = 0;
  for (const auto& l : lines) bf16_convs += l.find("convolution bf16") != std::string::npos;
  EXPECT_EQ(bf16_convs, 2);
}

// A layer kept in fp32 inside a bf16 region: the casts around it convert the element type only,
// in the layout the bf16 layers left (they were a transposing reorder to plain, then another back
// to the convolution's layout: 1.9 of 7.4 ms in EfficientNet-Lite1 with 3 layers kept).
TEST(Fp16CastingCpu, Bf16CastsAroundAKeptLayerKeepTheLayout) {
  if (!cpu::cpu_has_bf16()) GTEST_SKIP() << "no AVX512-BF16 (the refusal is tested above)";
  auto g = small_graph();
  Fp16CastingOptions o = options_for(DataType::kBF16);
  o.keep_fp32 = {"conv2"};
  ASSERT_TRUE(run_pass(*g, o));
  Tensor x = random_tensor({2, 3, 8, 8}, 9);
  const Tensor ref = reference::run_graph(*g, {x})[0];
  auto model = compile_for_cpu(g, CompileOptions{});
  auto ctx = model->create_context();
  Tensor y(DataType::kF32, ref.dims());
  model->run(*ctx, {&x}, {&y});
  EXPECT_LT(max_abs_diff(y, ref), 1e-2f);
  bool kept_layout = false;
  for (const auto& l : model->describe()) {
    std::printf("  %s\n", l.c_str());
    kept_layout |= l.find("Cast -> onednn reorder bf16 nhwc -> fp32 nhwc") != std::string::npos;
  }
  EXPECT_TRUE(kept_layout) << "the cast into conv2 should stay nhwc";
}

// ---- ResNet-18 ----------------------------------------------------------------------------

// import -> pipeline -> Fp16CastingPass: what Engine::compile will do once the pass is wired in.
std::shared_ptr<Graph> prepared(const std::string& path, Precision precision) {
  auto g = onnx_frontend::import_file(path);
  CompileOptions options;
  PassContext ctx;
  run_pipeline(*g, options, ctx);
  if (precision != Precision::kFp32) {
    options.precision = precision;
    options.keep_io_types = true;
    run_pass(*g, Fp16CastingOptions::from(options), &ctx);
    std::printf("%s\n", ctx.log.back().c_str());
  }
  return g;
}

std::shared_ptr<const Engine> engine_for(const std::string& path, Precision precision) {
  return Engine::compile(prepared(path, precision), CompileOptions{});
}

Tensor run_once(const Engine& engine, const Tensor& x) {
  return engine.create_session()->run({{engine.inputs()[0].name, x}})[0];
}

void compare_logits(const Tensor& ref, const Tensor& got, const char* what) {
  const int64_t rows = ref.dims()[0];
  const int64_t cols = ref.dims()[1];
  const float* r = ref.data<float>();
  const float* o = got.data<float>();
  int agree = 0;
  for (int64_t i = 0; i < rows; ++i) {
    agree += std::max_element(r + i * cols, r + (i + 1) * cols) - (r + i * cols) ==
             std::max_element(o + i * cols, o + (i + 1) * cols) - (o + i * cols);
  }
  std::printf("%s: max |logit diff| vs fp32 %.5f, top-1 agreement %d/%lld\n", what,
              max_abs_diff(got, ref), agree, static_cast<long long>(rows));
  EXPECT_EQ(agree, rows) << what;
}

TEST(Fp16CastingResnet, FashionPlanHalvesAndLogitsMatchFp32) {
  const std::string model = testing::source_dir() + "/models/resnet18_fashion.onnx";
  const std::string images = testing::test_data("fashion_test_first16_input.npy");
  auto fp32 = engine_for(model, Precision::kFp32);
  auto fp16 = engine_for(model, Precision::kFp16);
  const std::string dir = std::string(LOWP_BINARY_DIR) + "/fp16_casting_test";
  std::filesystem::create_directories(dir);
  fp32->save_plan(dir + "/fashion_fp32.plan");
  fp16->save_plan(dir + "/fashion_fp16.plan");
  const auto size32 = std::filesystem::file_size(dir + "/fashion_fp32.plan");
  const auto size16 = std::filesystem::file_size(dir + "/fashion_fp16.plan");
  std::printf("plan size fp32 %llu bytes, fp16 %llu bytes (%.1f%%)\n",
              static_cast<unsigned long long>(size32), static_cast<unsigned long long>(size16),
              100.0 * static_cast<double>(size16) / static_cast<double>(size32));
  EXPECT_LE(size16 * 100, size32 * 52);
  EXPECT_EQ(fp16->describe().at(0), cpu_precision_note(Precision::kFp16));

  // The saved fp16 plan loads and runs (weights upcast at load).
  auto loaded = Engine::load_plan(dir + "/fashion_fp16.plan");
  const Tensor x = io::read_npy(images);
  const Tensor ref = run_once(*fp32, x);
  compare_logits(ref, run_once(*fp16, x), "fashion fp16");
  EXPECT_LT(max_abs_diff(run_once(*loaded, x), ref), 0.05f);
  if (cpu::cpu_has_bf16())
    compare_logits(ref, run_once(*engine_for(model, Precision::kBf16), x), "fashion bf16");
}

// bf16 logits on the ImageNet graph. Its speed is a benchmark (bench/cpu_vs_onnxruntime.py), not
// a unit test: timings on a shared 2-core machine are noise.
TEST(Fp16CastingResnet, ImagenetBf16Logits) {
  const std::string model = testing::test_model("resnet18_imagenet_arch.onnx");
  if (!cpu::cpu_has_bf16()) {
    expect_bf16_refused([&] { engine_for(model, Precision::kBf16); });
    return;
  }
  auto fp32 = engine_for(model, Precision::kFp32);
  auto bf16 = engine_for(model, Precision::kBf16);
  const Tensor x = testing::resnet18_imagenet_input(4);
  const Tensor ref = run_once(*fp32, x);
  const Tensor got = run_once(*bf16, x);
  std::printf("imagenet bf16: max |logit diff| %.4f (fp32 logits span %.2f)\n",
              max_abs_diff(got, ref),
              *std::max_element(ref.values<float>().begin(), ref.values<float>().end()) -
                  *std::min_element(ref.values<float>().begin(), ref.values<float>().end()));
  compare_logits(ref, got, "imagenet bf16");
}

}  // namespace
}  // namespace lowp

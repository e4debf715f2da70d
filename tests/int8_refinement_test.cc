// The int8 refinements after calibration. Bias correction (passes/bias_correction.h) and what it
// is built from: per-channel means (plain and of quantized values), the mean of a Conv / Gemm's
// output from its input's channel means (checked against the reference Conv), recording and
// replaying calibration batches, the pass before / after through the reference kernels. The
// per-tensor range choice (passes/range_selection.h, --calibrator auto). The int8 precision stage
// running both.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "engine/pass_pipeline.h"
#include "lowp/error.h"
#include "lowp/shape_propagation.h"
#include "passes/bias_correction.h"
#include "passes/calibration_replay.h"
#include "passes/channel_means.h"
#include "passes/int8_quantization.h"
#include "passes/quant_params.h"
#include "passes/range_selection.h"
#include "reference/reference_executor.h"
#include "tests/test_util.h"

using namespace lowp;
using namespace lowp::testing;

namespace {

// [n, channels, h, w] with every channel c constant at means[c].
Tensor constant_channels(const std::vector<float>& means, int64_t n, int64_t h, int64_t w) {
  const int64_t c = static_cast<int64_t>(means.size());
  Tensor t(DataType::kF32, {n, c, h, w});
  for (int64_t i = 0; i < t.numel(); ++i) {
    t.data<float>()[i] = means[static_cast<size_t>((i / (h * w)) % c)];
  }
  return t;
}

std::vector<double> reference_channel_means(const Tensor& t) {
  ChannelMeans m;
  m.observe(t);
  return m.means();
}

// One Conv x -> y with the given attributes; returns the graph.
std::unique_ptr<Graph> single_conv(const Dims& x_dims, const Dims& w_dims,
                                   const std::map<std::string, Attribute>& attrs) {
  auto g = std::make_unique<Graph>();
  Value* x = g->add_value("x", DataType::kF32, Shape::from_dims(x_dims));
  g->inputs.push_back(x);
  Value* y = g->add_value("y");
  Node* conv =
      g->add_node("Conv", "conv", {x, g->add_constant("w", random_tensor(w_dims, 3))}, {y});
  conv->attributes = attrs;
  g->outputs.push_back(y);
  propagate_shapes(*g);
  return g;
}

}  // namespace

// With every input channel constant, a Conv's output mean per channel is exactly what
// linear_output_means computes from the weights and the input means (zero padding included).
TEST(LinearOutputMeans, MatchTheReferenceConvOnConstantChannels) {
  struct Case {
    const char* what;
    Dims x, w;
    std::map<std::string, Attribute> attrs;
  };
  const std::vector<Case> cases = {
      {"3x3 stride 2, asymmetric pads",
       {1, 3, 9, 8},
       {5, 3, 3, 3},
       {{"strides", std::vector<int64_t>{2, 2}}, {"pads", std::vector<int64_t>{0, 1, 1, 2}}}},
      {"depthwise 5x5, dilation 2",
       {1, 4, 7, 7},
       {4, 1, 5, 5},
       {{"group", int64_t{4}},
        {"dilations", std::vector<int64_t>{2, 2}},
        {"pads", std::vector<int64_t>{4, 4, 4, 4}}}},
      {"grouped 1x1", {1, 4, 3, 3}, {6, 2, 1, 1}, {{"group", int64_t{2}}}},
  };
  for (const Case& c : cases) {
    auto g = single_conv(c.x, c.w, c.attrs);
    std::vector<float> means;
    for (int64_t i = 0; i < c.x[1]; ++i) means.push_back(0.25f * static_cast<float>(i) - 0.4f);
    const Tensor y = reference::run_graph(*g, {constant_channels(means, 1, c.x[2], c.x[3])}).at(0);
    const std::vector<double> expected = reference_channel_means(y);
    const std::vector<double> got =
        linear_output_means(*g->nodes()[0], *g->nodes()[0]->input(1)->constant,
                            std::vector<double>(means.begin(), means.end()), c.x);
    ASSERT_EQ(got.size(), expected.size()) << c.what;
    for (size_t o = 0; o < got.size(); ++o) EXPECT_NEAR(got[o], expected[o], 1e-5) << c.what;
  }
}

TEST(LinearOutputMeans, Gemm) {
  Node gemm;
  gemm.op_type = "Gemm";
  Tensor w(DataType::kF32, {2, 3});  // [N, K] with transB
  const float v[] = {1, 2, 3, -1, 0, 0.5f};
  std::copy(v, v + 6, w.data<float>());
  gemm.attributes["transB"] = int64_t{1};
  const std::vector<double> got = linear_output_means(gemm, w, {1, 0.5, -2}, {4, 3});
  ASSERT_EQ(got.size(), 2u);
  EXPECT_DOUBLE_EQ(got[0], 1 + 1 - 6);
  EXPECT_DOUBLE_EQ(got[1], -1 + 0 - 1);
  gemm.attributes["transB"] = int64_t{0};  // now w is [K=2, N=3]: K does not match 3 means
  EXPECT_TRUE(linear_output_means(gemm, w, {1, 0.5, -2}, {4, 3}).empty());
}

TEST(ChannelMeans, PlainQuantizedAndMismatchedBatches) {
  ChannelMeans plain;
  ChannelMeans quantized;
  const Tensor t = random_tensor({3, 2, 4, 4}, 5, -1.f, 3.f);
  plain.observe(t);
  QuantParams q = activation_quant_params(make_tensor_range(0.f, 1.f, false), false);
  quantized.observe(t, &q);  // everything above 1 is clipped to 1, below 0 to 0
  double expect_plain[2] = {0, 0};
  double expect_quantized[2] = {0, 0};
  for (int64_t i = 0; i < t.numel(); ++i) {
    const float v = t.data<float>()[i];
    const size_t c = static_cast<size_t>((i / 16) % 2);
    expect_plain[c] += v / 48.0;
    const float clipped = std::clamp(v, 0.f, 1.f);
    expect_quantized[c] += std::round(clipped / q.scales[0]) * q.scales[0] / 48.0;
  }
  for (size_t c = 0; c < 2; ++c) {
    EXPECT_NEAR(plain.means()[c], expect_plain[c], 1e-6);
    EXPECT_NEAR(quantized.means()[c], expect_quantized[c], 1e-6);
  }
  EXPECT_THROW(plain.observe(random_tensor({1, 3, 2, 2}, 6)), Error);
}

namespace {

// Gives `count` batches of [2, 3] once.
class CountingSource : public CalibrationSource {
 public:
  explicit CountingSource(int count) : count_(count) {}
  bool next(std::vector<Tensor>& inputs) override {
    if (given_ == count_) return false;
    inputs = {random_tensor({2, 3}, static_cast<uint32_t>(++given_))};
    return true;
  }
  std::string describe() const override { return "counting"; }

 private:
  int count_;
  int given_ = 0;
};

}  // namespace

TEST(CalibrationReplay, RecordsWithinTheBudgetAndReplaysInOrder) {
  CountingSource inner(3);
  RecordingCalibrationSource recording(inner, 2 * 6 * sizeof(float));  // two batches fit
  std::vector<Tensor> batch;
  int forwarded = 0;
  while (recording.next(batch)) ++forwarded;
  EXPECT_EQ(forwarded, 3);
  EXPECT_FALSE(recording.complete());
  EXPECT_EQ(recording.images(), 4);
  ReplayCalibrationSource replay(recording.batches(), "replay");
  EXPECT_EQ(replay.total_images(), 4);
  for (uint32_t seed = 1; seed <= 2; ++seed) {
    ASSERT_TRUE(replay.next(batch));
    EXPECT_EQ(max_abs_diff(batch.at(0), random_tensor({2, 3}, seed)), 0.f);
  }
  EXPECT_FALSE(replay.next(batch));
  const CalibrationBatches three = first_images(recording.batches(), 3);  // the second batch cut
  ASSERT_EQ(three.size(), 2u);
  EXPECT_EQ(three[1][0].dims(), (Dims{1, 3}));
  const Tensor second = random_tensor({2, 3}, 2);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(three[1][0].data<float>()[i], second.data<float>()[i]);
}

namespace {

// x [8, 4, 10, 10] -> conv1 (3x3, pads 1, Relu) -> conv2 (1x1, no bias) -> y.
std::unique_ptr<Graph> two_convs() {
  auto g = std::make_unique<Graph>();
  Value* x = g->add_value("x", DataType::kF32, Shape::from_dims({8, 4, 10, 10}));
  g->inputs.push_back(x);
  Value* c1 = g->add_value("c1");
  Node* conv1 = g->add_node("Conv", "conv1",
                            {x, g->add_constant("w1", random_tensor({6, 4, 3, 3}, 11, -0.4f, 0.4f)),
                             g->add_constant("b1", random_tensor({6}, 12, 0.f, 0.5f))},
                            {c1});
  conv1->attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  conv1->activation = FusedActivation::of(ActivationKind::kRelu);
  Value* y = g->add_value("y");
  g->add_node("Conv", "conv2", {c1, g->add_constant("w2", random_tensor({5, 6, 1, 1}, 13))}, {y});
  g->outputs.push_back(y);
  propagate_shapes(*g);
  return g;
}

// Mean over the data of (test - ref) per channel, and the mean squared error.
std::pair<std::vector<double>, double> error_of(const Tensor& ref, const Tensor& test) {
  Tensor diff(DataType::kF32, ref.dims());
  double squares = 0.0;
  for (int64_t i = 0; i < ref.numel(); ++i) {
    diff.data<float>()[i] = test.data<float>()[i] - ref.data<float>()[i];
    squares += static_cast<double>(diff.data<float>()[i]) * diff.data<float>()[i];
  }
  return {reference_channel_means(diff), squares / static_cast<double>(ref.numel())};
}

double largest(const std::vector<double>& v) {
  double m = 0.0;
  for (double x : v) m = std::max(m, std::fabs(x));
  return m;
}

}  // namespace

// conv1's output range is clipped to 40% of its maximum (as the tail-cutting calibrators do),
// which lowers every mean conv2 sees; bias correction puts conv2's output means back.
TEST(BiasCorrection, RemovesTheMeanErrorOfAClippedInput) {
  auto g = two_convs();
  const Tensor x = random_tensor({8, 4, 10, 10}, 21, -1.f, 2.f);
  std::map<std::string, Tensor> fp32 = reference::run_graph_all_values(*g, {x});
  fp32["x"] = x;
  std::map<std::string, TensorRange> ranges;
  for (const std::string name : {"x", "c1", "y"}) {
    const float* p = fp32[name].data<float>();
    const auto [lo, hi] = std::minmax_element(p, p + fp32[name].numel());
    ranges[name] = make_tensor_range(*lo, name == "c1" ? 0.4f * *hi : *hi, false);
  }
  ChannelMeanMap value_means;
  for (const std::string name : {"x", "c1"})
    value_means[name] = reference_channel_means(fp32[name]);
  const ChannelMeanMap targets = fp32_output_means(*g, value_means);
  ASSERT_EQ(targets.size(), 2u);

  PassContext ctx;
  ASSERT_TRUE(run_one_pass(Int8QuantizationPass(ranges), *g, ctx));
  ChannelMeanMap quantized_inputs;
  for (const auto& [node, input] : {std::pair{"conv1", "x"}, std::pair{"conv2", "c1"}}) {
    const QuantParams params = activation_quant_params(ranges[input], false);
    ChannelMeans m;
    m.observe(fp32[input], &params);
    quantized_inputs[node] = m.means();
  }
  const auto before = error_of(fp32["y"], reference::run_graph(*g, {x}).at(0));
  ASSERT_TRUE(run_one_pass(BiasCorrectionPass(targets, quantized_inputs), *g, ctx));
  const auto after = error_of(fp32["y"], reference::run_graph(*g, {x}).at(0));
  std::cout << "largest channel mean error " << largest(before.first) << " -> "
            << largest(after.first) << "; mse " << before.second << " -> " << after.second << "\n";
  EXPECT_GT(largest(before.first), 0.05);
  EXPECT_LT(largest(after.first), 0.2 * largest(before.first));
  EXPECT_LT(after.second, before.second);
  // conv2 had no bias: it has one now, int32 at input scale x weight scale.
  for (const auto& n : g->nodes()) {
    if (n->name != "conv2") continue;
    ASSERT_NE(n->input(2), nullptr);
    EXPECT_EQ(n->input(2)->dtype, DataType::kS32);
    EXPECT_EQ(n->input(2)->quant->scales.size(), 5u);
  }
  EXPECT_FALSE(BiasCorrectionPass({}, {}).run(*g, ctx));  // nothing measured: nothing to do
}

namespace {

CompileOptions int8_options(const CalibrationBatches& batches) {
  CompileOptions options;
  options.precision = Precision::kInt8;
  options.calibration.source = std::make_shared<ReplayCalibrationSource>(batches, "test batches");
  return options;
}

bool logged(const PassContext& ctx, const std::string& start) {
  return std::any_of(ctx.log.begin(), ctx.log.end(),
                     [&](const std::string& line) { return line.rfind(start, 0) == 0; });
}

}  // namespace

// The int8 precision stage runs bias correction by default on the calibration images (also when
// the ranges come from a cache), switched off by name, and says why it is skipped when there is
// a cache and no images.
TEST(BiasCorrection, RunsInTheInt8StageUnlessDisabled) {
  const CalibrationBatches batches = {{random_tensor({8, 4, 10, 10}, 31, -1.f, 2.f)},
                                      {random_tensor({8, 4, 10, 10}, 32, -1.f, 2.f)}};
  {
    auto g = two_convs();
    PassContext ctx;
    apply_precision(*g, int8_options(batches), ctx);
    EXPECT_TRUE(logged(ctx, "bias-correction: corrected the biases of 2 int8 layers"))
        << ctx.log[0];
  }
  const std::string cache =
      (std::filesystem::temp_directory_path() / "lowp_bias_correction_test.json").string();
  std::filesystem::remove(cache);
  {
    auto g = two_convs();
    PassContext ctx;
    CompileOptions options = int8_options(batches);
    options.disabled_passes = {"bias-correction"};
    options.calibration.cache_path = cache;
    apply_precision(*g, options, ctx);
    EXPECT_FALSE(logged(ctx, "bias-correction"));
  }
  {
    auto g = two_convs();
    PassContext ctx;
    CompileOptions options = int8_options(batches);
    options.calibration.source = nullptr;
    options.calibration.cache_path = cache;
    apply_precision(*g, options, ctx);
    EXPECT_TRUE(logged(ctx, "bias-correction: skipped"));
  }
  {
    auto from_cache = two_convs();
    auto measured = two_convs();
    PassContext ctx;
    CompileOptions options = int8_options(batches);
    options.calibration.cache_path = cache;
    apply_precision(*from_cache, options, ctx);
    EXPECT_TRUE(logged(ctx, "bias-correction: corrected the biases of 2 int8 layers"));
    PassContext measured_ctx;
    apply_precision(*measured, int8_options(batches), measured_ctx);
    const Tensor x = random_tensor({8, 4, 10, 10}, 33);
    EXPECT_EQ(max_abs_diff(reference::run_graph(*from_cache, {x}).at(0),
                           reference::run_graph(*measured, {x}).at(0)),
              0.f);  // the same ranges and the same corrections as calibrating afresh
  }
  std::filesystem::remove(cache);
}

// Two candidate ranges for conv1's output: one cutting it at 10% of its maximum, one exact. The
// clipped one wrecks conv2's output and loses; a tensor with a single candidate keeps it; the
// graph quantized with the chosen ranges is closer to fp32 than with the clipped ones.
TEST(RangeSelection, ChoosesTheRangeTheReadingLayerSuffersLeastFrom) {
  auto g = two_convs();
  const Tensor x = random_tensor({8, 4, 10, 10}, 41, -1.f, 2.f);
  std::map<std::string, Tensor> fp32 = reference::run_graph_all_values(*g, {x});
  fp32["x"] = x;
  auto exact = [&](const std::string& name, float keep = 1.f) {
    const float* p = fp32[name].data<float>();
    const auto [lo, hi] = std::minmax_element(p, p + fp32[name].numel());
    return make_tensor_range(*lo, keep * *hi, false);
  };
  const std::map<std::string, std::vector<TensorRange>> candidates = {
      {"c1", {exact("c1", 0.1f), exact("c1")}}, {"y", {exact("y")}}};
  const CalibrationBatches batches = {{x}};
  ReplayCalibrationSource source(batches, "one batch");
  const RangeChoice choice = choose_ranges_by_consumer_error(*g, candidates, false, source,
                                                             fp32_cpu_runner(), size_t{1} << 30);
  EXPECT_EQ(choice.chosen.at("c1"), 1u);
  EXPECT_GT(choice.errors.at("c1")[0], 10 * choice.errors.at("c1")[1]);
  EXPECT_EQ(choice.chosen.at("y"), 0u);
  EXPECT_EQ(choice.errors.count("y"), 0u);  // a graph output: nothing reads it

  auto quantized_error = [&](const TensorRange& c1) {
    auto q = two_convs();
    PassContext ctx;
    run_one_pass(Int8QuantizationPass({{"x", exact("x")}, {"c1", c1}, {"y", exact("y")}}), *q, ctx);
    return max_abs_diff(fp32["y"], reference::run_graph(*q, {x}).at(0));
  };
  EXPECT_LT(quantized_error(choice.ranges.at("c1")), quantized_error(candidates.at("c1")[0]));
}

TEST(RangeSelection, RunsInTheInt8StageForCalibratorAuto) {
  const CalibrationBatches batches = {{random_tensor({8, 4, 10, 10}, 51, -1.f, 2.f)}};
  auto g = two_convs();
  PassContext ctx;
  CompileOptions options = int8_options(batches);
  options.calibration.calibrator = Calibrator::kAuto;
  apply_precision(*g, options, ctx);
  EXPECT_TRUE(logged(ctx, "range-selection: ")) << ctx.log[0];
  EXPECT_TRUE(logged(ctx, "bias-correction: corrected"));
  auto plain = two_convs();
  PassContext plain_ctx;
  apply_precision(*plain, int8_options(batches), plain_ctx);
  EXPECT_FALSE(logged(plain_ctx, "range-selection"));
  EXPECT_EQ(parse_calibrator("auto"), Calibrator::kAuto);
}

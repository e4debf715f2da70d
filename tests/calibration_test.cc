// int8 calibration: the streaming histogram (exact, independent of batching), the four
// calibrators on synthetic data with known answers, scale / zero-point rules, weight parameters,
// the JSON cache, the calibration data sources, and determinism on the Fashion ResNet-18.
#include "passes/calibration.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>
#include <thread>

#include "engine/pass_pipeline.h"
#include "lowp/graph.h"
#include "lowp/lowp.h"
#include "passes/activation_histogram.h"
#include "passes/calibration_cache.h"
#include "passes/calibrators.h"
#include "passes/quant_params.h"
#include "tests/test_util.h"
#include "tools/io/calibration_sources.h"
#include "tools/io/npy.h"

using namespace lowp;
namespace fs = std::filesystem;

namespace {

std::string error_of(const std::function<void()>& fn, ErrorCode* code = nullptr) {
  try {
    fn();
  } catch (const Error& e) {
    if (code) *code = e.code();
    return e.what();
  }
  return "";
}

fs::path temp_dir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("lowp_calibration_test_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::vector<float> gaussian(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.f, 1.f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

ActivationHistogram histogram_of(const std::vector<float>& v) {
  ActivationHistogram h;
  h.observe(v);
  return h;
}

CalibrationOptions options_for(Calibrator c, bool symmetric = false) {
  CalibrationOptions o;
  o.calibrator = c;
  o.symmetric_activations = symmetric;
  return o;
}

}  // namespace

// ---- histogram -------------------------------------------------------------------------------

TEST(ActivationHistogram, IndependentOfBatchingAndOrder) {
  std::vector<float> data = gaussian(100000, 1);
  for (float& x : data) x *= 3.f;
  ActivationHistogram whole = histogram_of(data);

  // Small values first, then growing batches, in reverse: the width grows several times.
  std::vector<float> sorted = data;
  std::sort(sorted.begin(), sorted.end(),
            [](float a, float b) { return std::fabs(a) < std::fabs(b); });
  ActivationHistogram pieces;
  for (size_t start = 0; start < sorted.size(); start += 777) {
    size_t end = std::min(sorted.size(), start + 777);
    pieces.observe(std::span<const float>(sorted.data() + start, end - start));
  }
  EXPECT_EQ(whole.bins(), pieces.bins());
  EXPECT_EQ(whole.bin_width(), pieces.bin_width());
  EXPECT_EQ(whole.min(), pieces.min());
  EXPECT_EQ(whole.max(), pieces.max());
  EXPECT_EQ(whole.count(), 100000u);
  EXPECT_GE(whole.used_bins(), 1024);
  EXPECT_LE(whole.abs_max(), whole.bin_width() * ActivationHistogram::kBins);
}

TEST(ActivationHistogram, ZerosAndNonFiniteValues) {
  ActivationHistogram h;
  h.observe(std::vector<float>{0.f, 0.f, 0.f});
  EXPECT_EQ(h.bin_width(), 0.0);
  EXPECT_EQ(h.zero_count(), 3u);
  h.observe(std::vector<float>{NAN, INFINITY, 2.f, 0.f});
  EXPECT_EQ(h.count(), 5u);
  EXPECT_EQ(h.skipped(), 2u);
  EXPECT_EQ(h.bins()[0], 4u);
  EXPECT_EQ(h.max(), 2.f);
  EXPECT_EQ(h.min(), 0.f);
}

// ---- calibrators -----------------------------------------------------------------------------

TEST(Calibrators, UniformDataMinMaxAndPercentileAgree) {
  std::vector<float> v(1 << 20);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i) / static_cast<float>(v.size());
  ActivationHistogram h = histogram_of(v);
  EXPECT_NEAR(calibrated_range(h, options_for(Calibrator::kMinMax)).max, 1.f, 1e-5);
  EXPECT_NEAR(percentile_threshold(h, 99.99), 0.9999, 2e-4);
  EXPECT_NEAR(percentile_threshold(h, 50.0), 0.5, 1e-3);
  EXPECT_GT(entropy_threshold(h), 0.9);
  EXPECT_GT(mse_threshold(h, 255), 0.95);
  for (Calibrator c :
       {Calibrator::kMinMax, Calibrator::kPercentile, Calibrator::kEntropy, Calibrator::kMse}) {
    TensorRange r = calibrated_range(h, options_for(c));
    EXPECT_EQ(r.min, 0.f) << calibrator_name(c);
    EXPECT_EQ(r.zero_point, 0) << calibrator_name(c);
    EXPECT_GT(r.max, 0.9f) << calibrator_name(c);
  }
}

TEST(Calibrators, GaussianWithOutlierIsClippedExceptByMinMax) {
  std::vector<float> v = gaussian(1 << 20, 7);
  v.push_back(100.f);
  ActivationHistogram h = histogram_of(v);
  const double minmax = calibrated_range(h, options_for(Calibrator::kMinMax, true)).max;
  const double pct = percentile_threshold(h, 99.99);
  const double ent = entropy_threshold(h);
  const double mse = mse_threshold(h, 127);
  std::cout << "gaussian + outlier 100: minmax " << minmax << " percentile " << pct << " entropy "
            << ent << " mse " << mse << "\n";
  EXPECT_FLOAT_EQ(minmax, 100.f);
  EXPECT_NEAR(pct, 3.89, 0.15);  // the 99.99th percentile of |N(0,1)|
  EXPECT_GT(ent, 2.5);
  EXPECT_LT(ent, 10.0);
  // MSE weighs the outlier by its squared clipping error ((100 - T)^2 against 1M values' rounding
  // noise (T / 127)^2 / 12): it clips it, but less than the others (optimum near T = 15).
  EXPECT_GT(mse, 8.0);
  EXPECT_LT(mse, 30.0);
  // Asymmetric: the range is clipped on both sides.
  TensorRange r = calibrated_range(h, options_for(Calibrator::kEntropy));
  EXPECT_FLOAT_EQ(r.min, std::max(h.min(), static_cast<float>(-ent)));
  EXPECT_FLOAT_EQ(r.max, std::min(h.max(), static_cast<float>(ent)));
  EXPECT_LT(r.min, -3.f);
}

TEST(Calibrators, AllZeroTensorHasUsableScale) {
  ActivationHistogram h = histogram_of(std::vector<float>(1000, 0.f));
  for (Calibrator c :
       {Calibrator::kMinMax, Calibrator::kPercentile, Calibrator::kEntropy, Calibrator::kMse}) {
    for (bool sym : {false, true}) {
      TensorRange r = calibrated_range(h, options_for(c, sym));
      EXPECT_TRUE(std::isfinite(r.scale) && r.scale > 0.f) << calibrator_name(c);
      EXPECT_EQ(r.zero_point, 0);
    }
  }
  EXPECT_GT(calibrated_range(ActivationHistogram(), options_for(Calibrator::kEntropy)).scale, 0.f);
  EXPECT_NE(error_of([&] { percentile_threshold(h, 0.0); }), "");
}

TEST(QuantParams, ScaleAndZeroPoint) {
  TensorRange relu = make_tensor_range(0.f, 2.55f, false);
  EXPECT_FLOAT_EQ(relu.scale, 0.01f);
  EXPECT_EQ(relu.zero_point, 0);
  TensorRange both = make_tensor_range(-1.f, 1.f, false);
  EXPECT_FLOAT_EQ(both.scale, 2.f / 255.f);
  EXPECT_NEAR(both.zero_point, 127.5, 0.5);
  TensorRange positive = make_tensor_range(0.5f, 2.55f, false);  // widened to contain 0
  EXPECT_EQ(positive.min, 0.f);
  EXPECT_EQ(positive.zero_point, 0);
  TensorRange negative = make_tensor_range(-2.55f, -1.f, false);
  EXPECT_EQ(negative.max, 0.f);
  EXPECT_EQ(negative.zero_point, 255);
  TensorRange sym = make_tensor_range(-0.5f, 1.27f, true);
  EXPECT_FLOAT_EQ(sym.scale, 0.01f);
  EXPECT_EQ(sym.zero_point, 0);
  EXPECT_EQ(sym.min, -1.27f);
  QuantParams q = activation_quant_params(relu, false);
  EXPECT_EQ(q.storage, DataType::kU8);
  EXPECT_EQ(activation_quant_params(sym, true).storage, DataType::kS8);
}

TEST(QuantParams, WeightsPerOutputChannel) {
  Tensor w(DataType::kF32, {3, 2, 1, 2});  // OIHW
  float* p = w.data<float>();
  const float values[12] = {0.5f, -1.27f, 0.1f, 0.2f, 0, 0, 0, 0, 2.54f, 1, -1, 0};
  std::copy(values, values + 12, p);
  QuantParams q = weight_quant_params(w, 0);
  EXPECT_EQ(q.axis, 0);
  EXPECT_EQ(q.storage, DataType::kS8);
  ASSERT_EQ(q.scales.size(), 3u);
  EXPECT_FLOAT_EQ(q.scales[0], 0.01f);
  EXPECT_GT(q.scales[1], 0.f);  // all-zero channel
  EXPECT_FLOAT_EQ(q.scales[2], 0.02f);
  EXPECT_EQ(q.zero_points, (std::vector<int32_t>{0, 0, 0}));
  QuantParams gemm = weight_quant_params(w.reshaped({3, 4}), -2);  // Gemm [N, K] with transB
  EXPECT_EQ(gemm.scales, q.scales);
  EXPECT_NE(error_of([&] { weight_quant_params(w, 4, "conv1.weight"); }).find("conv1.weight"),
            std::string::npos);
}

// ---- cache -----------------------------------------------------------------------------------

TEST(CalibrationCache, RoundTripAndMalformedFiles) {
  fs::path dir = temp_dir("cache");
  std::map<std::string, TensorRange> ranges{
      {"input", make_tensor_range(-2.1179f, 2.64f, false)},
      {"conv1_out", make_tensor_range(0.f, 5.123456f, false)}};
  CalibrationCacheMeta meta{"entropy", 99.99, 512, false};
  const std::string path = (dir / "calib.json").string();
  write_calibration_cache(path, ranges, meta);
  CalibrationCache back = read_calibration_cache(path);
  EXPECT_EQ(back.ranges, ranges);
  EXPECT_EQ(back.meta.calibrator, "entropy");
  EXPECT_EQ(back.meta.images, 512);
  EXPECT_DOUBLE_EQ(back.meta.percentile, 99.99);

  auto write = [&](const std::string& text) { std::ofstream(path) << text; };
  ErrorCode code{};
  write("{not json");
  std::string e = error_of([&] { read_calibration_cache(path); }, &code);
  EXPECT_NE(e.find(path), std::string::npos) << e;
  EXPECT_EQ(code, ErrorCode::kInvalidModel);
  write(
      R"({"calibrator": "minmax", "percentile": 99.99, "images": 3, "tensors": {"x": {"min": 0}}})");
  e = error_of([&] { read_calibration_cache(path); });
  EXPECT_NE(e.find("'x'"), std::string::npos) << e;
  write(R"({"calibrator": "minmax", "percentile": 99.99, "images": 3,
            "tensors": {"x": {"min": 0, "max": 1, "scale": -1, "zero_point": 0}}})");
  EXPECT_NE(error_of([&] { read_calibration_cache(path); }).find("scale"), std::string::npos);
  // Numbers valid as doubles that are not usable as the floats they become, and a zero point
  // outside u8 (asymmetric ranges are stored as u8; it would wrap on the GPU).
  const std::pair<const char*, const char*> unusable[] = {
      {R"("min": 0, "max": 1e39, "scale": 1, "zero_point": 0)", "does not fit a float"},
      {R"("min": 0, "max": 1, "scale": 1e-40, "zero_point": 0)", "positive and normal"},
      {R"("min": 0, "max": 1, "scale": 0.01, "zero_point": -5)", "zero_point -5 out of range"}};
  for (const auto& [fields, says] : unusable) {
    write(std::string(R"({"calibrator": "minmax", "percentile": 99.99, "images": 3,
              "tensors": {"x": {)") +
          fields + "}}}");
    e = error_of([&] { read_calibration_cache(path); });
    EXPECT_NE(e.find(says), std::string::npos) << e;
  }
  write("[1, 2]");
  EXPECT_NE(error_of([&] { read_calibration_cache(path); }), "");
  e = error_of([&] { read_calibration_cache((dir / "missing.json").string()); }, &code);
  EXPECT_EQ(code, ErrorCode::kIo);
  EXPECT_NE(e.find("missing.json"), std::string::npos);
}

// Several compiles writing one cache at once (a build farm sharing a folder): each write lands
// whole, none fails, no temporary file is left behind (they once shared one temporary name).
TEST(CalibrationCache, ConcurrentWritersEachLandWhole) {
  fs::path dir = temp_dir("cache_writers");
  const std::string path = (dir / "calib.json").string();
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      std::map<std::string, TensorRange> ranges{
          {"x", make_tensor_range(0.f, 1.0f + static_cast<float>(t), false)}};
      for (int i = 0; i < 25; ++i) {
        if (!error_of([&] { write_calibration_cache(path, ranges, {"mse", 0, t, false}); }).empty())
          ++failures;
      }
    });
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_NO_THROW(read_calibration_cache(path));
  for (const auto& entry : fs::directory_iterator(dir))
    EXPECT_EQ(entry.path().filename(), "calib.json");
}

// ---- sources ---------------------------------------------------------------------------------

TEST(CalibrationSources, FactoryErrors) {
  const Dims dims{-1, 3, 64, 64};
  ErrorCode code{};
  std::string e = error_of(
      [&] { io::make_calibration_source("/nonexistent/calib", "", 8, 4, std::nullopt, dims); },
      &code);
  EXPECT_EQ(code, ErrorCode::kIo);
  EXPECT_NE(e.find("/nonexistent/calib"), std::string::npos) << e;
  fs::path dir = temp_dir("sources");
  e = error_of([&] { io::make_calibration_source(dir.string(), "tiff", 8, 4, std::nullopt, dims); },
               &code);
  EXPECT_EQ(code, ErrorCode::kInvalidArgument);
  EXPECT_NE(e.find("tiff"), std::string::npos) << e;
  e = error_of([&] { io::make_calibration_source(dir.string(), "", 8, 4, std::nullopt, dims); });
  EXPECT_NE(e.find(dir.string()), std::string::npos) << e;  // empty folder
  e = error_of(
      [&] { io::make_calibration_source(dir.string(), "images", 8, 4, std::nullopt, dims); });
  EXPECT_NE(e.find("no .jpg/.png"), std::string::npos) << e;
  EXPECT_NE(error_of([&] { io::make_calibration_source("random", "", 8, 0, std::nullopt, dims); }),
            "");
  EXPECT_NE(error_of([&] {
              io::make_calibration_source("random", "", 8, 4, std::nullopt, {-1, 3, -1, -1});
            }),
            "");
  // Images need a preprocessing (the command guesses one from the dims or takes --preprocess).
  e = error_of([&] {
    io::make_calibration_source(std::string(LOWP_SOURCE_DIR) + "/models/fashion_samples", "images",
                                8, 4, std::nullopt, dims);
  });
  EXPECT_NE(e.find("give --preprocess"), std::string::npos) << e;
}

TEST(CalibrationSources, NpyRowsRegroupedIntoBatches) {
  fs::path dir = temp_dir("npy");
  io::write_npy((dir / "a.npy").string(), lowp::testing::random_tensor({3, 3, 4, 4}, 1));
  io::write_npy((dir / "b.npy").string(),
                lowp::testing::random_tensor({3, 4, 4}, 2));  // one sample
  io::write_npy((dir / "c.npy").string(), lowp::testing::random_tensor({2, 3, 4, 4}, 3));
  auto source = io::make_calibration_source(dir.string(), "", 0, 4, std::nullopt, {-1, 3, 4, 4});
  std::vector<int64_t> sizes;
  std::vector<Tensor> batch;
  while (source->next(batch)) sizes.push_back(batch.at(0).dims()[0]);
  EXPECT_EQ(sizes, (std::vector<int64_t>{4, 2}));
  auto limited =
      io::make_calibration_source((dir / "a.npy").string(), "", 2, 4, std::nullopt, {-1, 3, 4, 4});
  ASSERT_TRUE(limited->next(batch));
  EXPECT_EQ(batch.at(0).dims(), (Dims{2, 3, 4, 4}));
  EXPECT_FALSE(limited->next(batch));
  auto wrong = io::make_calibration_source(dir.string(), "", 0, 4, std::nullopt, {-1, 3, 8, 8});
  EXPECT_NE(error_of([&] { wrong->next(batch); }).find("a.npy"), std::string::npos);
}

TEST(CalibrationSources, IdxAndRandomBatches) {
  auto idx =
      io::make_calibration_source(LOWP_FASHION_MNIST, "", 10, 4, std::nullopt, {-1, 3, 64, 64});
  auto* sized = dynamic_cast<SizedCalibrationSource*>(idx.get());
  ASSERT_NE(sized, nullptr);
  EXPECT_EQ(sized->total_images(), 10);
  std::vector<int64_t> sizes;
  std::vector<Tensor> batch;
  while (idx->next(batch)) sizes.push_back(batch.at(0).dims()[0]);
  EXPECT_EQ(sizes, (std::vector<int64_t>{4, 4, 2}));

  // Random samples do not depend on the batch size.
  auto r1 = io::make_calibration_source("random", "", 3, 1, std::nullopt, {-1, 3, 8, 8});
  auto r3 = io::make_calibration_source("random", "", 3, 3, std::nullopt, {-1, 3, 8, 8});
  std::vector<Tensor> all;
  ASSERT_TRUE(r3->next(all));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(r1->next(batch));
    EXPECT_EQ(std::memcmp(batch[0].raw(), all[0].data<float>() + i * 192, 192 * sizeof(float)), 0);
  }
}

TEST(CalibrationSources, ImageFolders) {
  // 28x28 PNGs: the format is guessed from the folder.
  auto fashion =
      io::make_calibration_source(std::string(LOWP_SOURCE_DIR) + "/models/fashion_samples", "", 5,
                                  3, preprocessing_preset("fashion"), {-1, 3, 64, 64});
  EXPECT_NE(fashion->describe().find("(fashion)"), std::string::npos) << fashion->describe();
  std::vector<Tensor> batch;
  std::vector<int64_t> sizes;
  while (fashion->next(batch)) {
    EXPECT_EQ(batch.at(0).dims(), (Dims{batch.at(0).dims()[0], 3, 64, 64}));
    sizes.push_back(batch.at(0).dims()[0]);
  }
  EXPECT_EQ(sizes, (std::vector<int64_t>{3, 2}));

  const std::string imagenet = lowp::testing::test_data("images");
  auto source = io::make_calibration_source(imagenet, "images", 3, 2,
                                            preprocessing_preset("imagenet"), {-1, 3, 224, 224});
  EXPECT_NE(source->describe().find("(torchvision)"), std::string::npos) << source->describe();
  ASSERT_TRUE(source->next(batch));
  EXPECT_EQ(batch.at(0).dims(), (Dims{2, 3, 224, 224}));
  Preprocessing small_crop = preprocessing_preset("torchvision");
  small_crop.crop_height = small_crop.crop_width = 64;  // not the model's 224
  auto wrong = io::make_calibration_source(imagenet, "images", 1, 1, small_crop, {-1, 3, 224, 224});
  EXPECT_NE(error_of([&] { wrong->next(batch); }).find("tests/data/images/"), std::string::npos);
}

// ---- the Fashion ResNet-18 -------------------------------------------------------------------

namespace {

std::shared_ptr<const Engine> fashion_engine() {
  static std::shared_ptr<const Engine> engine =
      Engine::compile_onnx(std::string(LOWP_SOURCE_DIR) + "/models/resnet18_fashion.onnx");
  return engine;
}

CalibrationStatistics fashion_statistics(int images, int batch) {
  auto engine = fashion_engine();
  auto source = io::make_calibration_source(LOWP_FASHION_MNIST, "idx", images, batch, std::nullopt,
                                            engine->inputs()[0].dims);
  return collect_calibration_statistics(engine->graph(), *source, {}, true, fp32_cpu_runner());
}

// A batch whose activations exceed the budget runs a slice of images at a time: the statistics
// (image count, every histogram) are those of the whole batch at once.
TEST(FashionCalibration, BatchesOverTheMemoryBudgetRunInSlices) {
  auto engine = fashion_engine();
  auto stats_with = [&](size_t budget) {
    auto source = io::make_calibration_source(LOWP_FASHION_MNIST, "idx", 12, 12, std::nullopt,
                                              engine->inputs()[0].dims);
    return collect_calibration_statistics(engine->graph(), *source, {}, false, fp32_cpu_runner(),
                                          budget);
  };
  const CalibrationStatistics whole = stats_with(size_t{1} << 40);
  const CalibrationStatistics sliced = stats_with(1);  // one image at a time
  EXPECT_EQ(sliced.images, 12);
  ASSERT_EQ(sliced.tensors.size(), whole.tensors.size());
  CalibrationOptions options;
  for (Calibrator c : {Calibrator::kMinMax, Calibrator::kMse}) {
    options.calibrator = c;
    const auto a = ranges_from_statistics(whole, options);
    const auto b = ranges_from_statistics(sliced, options);
    for (const auto& [name, r] : a) {
      EXPECT_NEAR(b.at(name).min, r.min, 1e-5f * (1 + std::fabs(r.min))) << name;
      EXPECT_NEAR(b.at(name).max, r.max, 1e-5f * (1 + std::fabs(r.max))) << name;
    }
  }
}

// Names of a few representative values: the input, the first, a middle and the last node outputs.
std::vector<std::string> sample_values(const Graph& g) {
  std::vector<std::string> all = default_calibration_values(g);
  return {all.front(), all.at(1), all.at(all.size() / 2), all.at(all.size() - 2), all.back()};
}

}  // namespace

// A batch of the wrong image size is refused, naming the input and both shapes (it used to run:
// the model's convolutions take any size, and the ranges were those of other data).
TEST(FashionCalibration, BatchOfTheWrongImageSizeIsRefused) {
  auto engine = fashion_engine();
  class WrongSize : public CalibrationSource {
   public:
    bool next(std::vector<Tensor>& inputs) override {
      inputs = {Tensor(DataType::kF32, {2, 3, 5, 5})};
      return given_++ == 0;
    }
    std::string describe() const override { return "5x5 batches"; }

   private:
    int given_ = 0;
  } source;
  ErrorCode code{};
  const std::string message = error_of(
      [&] {
        collect_calibration_statistics(engine->graph(), source, {}, false, fp32_cpu_runner());
      },
      &code);
  EXPECT_EQ(code, ErrorCode::kInvalidArgument);
  EXPECT_NE(message.find("[2x3x5x5]"), std::string::npos) << message;
  EXPECT_NE(message.find("the model expects"), std::string::npos) << message;
}

TEST(FashionCalibration, DeterministicAcrossRunsAndBatchSizes) {
  CalibrationStatistics a = fashion_statistics(64, 32);
  CalibrationStatistics b = fashion_statistics(64, 32);
  CalibrationStatistics c = fashion_statistics(64, 1);
  EXPECT_EQ(a.images, 64);
  EXPECT_EQ(c.batches, 64);
  EXPECT_EQ(a.tensors.size(), default_calibration_values(fashion_engine()->graph()).size());
  for (Calibrator cal :
       {Calibrator::kMinMax, Calibrator::kPercentile, Calibrator::kEntropy, Calibrator::kMse}) {
    auto ra = ranges_from_statistics(a, options_for(cal));
    auto rb = ranges_from_statistics(b, options_for(cal));
    auto rc = ranges_from_statistics(c, options_for(cal));
    EXPECT_EQ(ra, rb) << calibrator_name(cal);  // same data, same batches: bit-identical
    double worst = 0.0;
    for (const auto& [name, r] : ra) {
      const double rel = std::fabs(r.scale - rc.at(name).scale) / r.scale;
      worst = std::max(worst, rel);
      EXPECT_LT(rel, 1e-3) << calibrator_name(cal) << " " << name;
      EXPECT_EQ(r.zero_point, rc.at(name).zero_point) << calibrator_name(cal) << " " << name;
    }
    std::cout << calibrator_name(cal)
              << ": largest relative scale difference batch 32 vs 1: " << worst << "\n";
  }
}

TEST(FashionCalibration, RangesPerCalibratorAndLogitsMatchTheEngine) {
  auto engine = fashion_engine();
  CalibrationStatistics stats = fashion_statistics(64, 16);
  const std::vector<std::string> names = sample_values(engine->graph());
  for (Calibrator cal :
       {Calibrator::kMinMax, Calibrator::kPercentile, Calibrator::kEntropy, Calibrator::kMse}) {
    auto ranges = ranges_from_statistics(stats, options_for(cal));
    for (const std::string& n : names) {
      const TensorRange& r = ranges.at(n);
      std::cout << calibrator_name(cal) << " " << n << ": [" << r.min << ", " << r.max << "] scale "
                << r.scale << " zp " << r.zero_point << "\n";
      EXPECT_LE(r.max, stats.tensors.at(n).max() + 1e-6f);
      EXPECT_TRUE(std::isfinite(r.scale) && r.scale > 0.f);
    }
  }
  // The extra outputs do not disturb the computation: the logits' range equals a plain run's.
  auto source = io::make_calibration_source(LOWP_FASHION_MNIST, "idx", 64, 64, std::nullopt,
                                            engine->inputs()[0].dims);
  std::vector<Tensor> batch;
  ASSERT_TRUE(source->next(batch));
  auto session = engine->create_session();
  Tensor logits = session->run({{engine->inputs()[0].name, batch[0]}}).at(0);
  auto [lo, hi] = std::minmax_element(logits.data<float>(), logits.data<float>() + logits.numel());
  const ActivationHistogram& h = stats.tensors.at(engine->outputs()[0].name);
  EXPECT_NEAR(h.min(), *lo, 1e-3);
  EXPECT_NEAR(h.max(), *hi, 1e-3);
}

TEST(FashionCalibration, CacheIsWrittenThenUsedWithoutData) {
  auto engine = fashion_engine();
  fs::path dir = temp_dir("fashion_cache");
  CalibrationOptions options = options_for(Calibrator::kEntropy);
  options.cache_path = (dir / "fashion.calib.json").string();
  options.source = io::make_calibration_source(LOWP_FASHION_MNIST, "idx", 16, 8, std::nullopt,
                                               engine->inputs()[0].dims);
  auto first = calibrate(engine->graph(), options, {}, false, fp32_cpu_runner());
  ASSERT_TRUE(fs::exists(options.cache_path));
  options.source = nullptr;
  auto second = calibrate(engine->graph(), options, {}, false, fp32_cpu_runner());
  EXPECT_EQ(first, second);
  CalibrationCache cache = read_calibration_cache(options.cache_path);
  EXPECT_EQ(cache.meta.images, 16);
  EXPECT_EQ(cache.meta.calibrator, "entropy");
  EXPECT_NE(error_of([&] {
              calibrate(engine->graph(), options, {"no_such_value"}, false, fp32_cpu_runner());
            }).find("no_such_value"),
            std::string::npos);
  options.symmetric_activations = true;
  EXPECT_NE(error_of([&] {
              calibrate(engine->graph(), options, {}, false, fp32_cpu_runner());
            }).find("symmetric"),
            std::string::npos);
  options.cache_path.clear();
  EXPECT_NE(error_of([&] {
              calibrate(engine->graph(), options, {}, false, fp32_cpu_runner());
            }).find("source"),
            std::string::npos);
}

// Timing for the report: lowp's calibration of 512 Fashion-MNIST training images.
TEST(FashionCalibration, DISABLED_Time512Images) {
  auto engine = fashion_engine();
  for (int batch : {32}) {
    CalibrationStatistics stats = fashion_statistics(512, batch);
    std::cout << "512 images, batch " << batch << ": " << stats.seconds << " s\n";
    for (Calibrator cal :
         {Calibrator::kMinMax, Calibrator::kPercentile, Calibrator::kEntropy, Calibrator::kMse}) {
      const auto t0 = std::chrono::steady_clock::now();
      auto ranges = ranges_from_statistics(stats, options_for(cal));
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::cout << calibrator_name(cal) << " ranges for " << ranges.size() << " tensors: " << s
                << " s\n";
      for (const std::string& n : sample_values(engine->graph())) {
        const TensorRange& r = ranges.at(n);
        std::cout << "  " << n << ": [" << r.min << ", " << r.max << "] scale " << r.scale << " zp "
                  << r.zero_point << "\n";
      }
    }
  }
}

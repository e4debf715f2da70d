// Image preprocessing as data (lowp/preprocessing.h): presets and their text form, the pipeline
// against PIL / torchvision / torch (tests/data/preprocess, scripts/make_preprocess_refs.py), the
// plan storing it and Engine::preprocess.
#include "lowp/preprocessing.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/plan_format.h"
#include "imaging/image_preprocessing.h"
#include "lowp/lowp.h"
#include "tests/test_util.h"
#include "tools/io/image_decode.h"
#include "tools/io/labels.h"
#include "tools/io/npy.h"

namespace lowp {
namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("lowp_preprocessing_test_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

// Runs `f`, expecting kInvalidArgument whose message holds `says`.
template <typename F>
void expect_refused(F&& f, const std::string& says) {
  try {
    f();
    ADD_FAILURE() << "expected an error saying '" << says << "'";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << e.what();
    EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
  }
}

TEST(Preprocessing, PresetsRoundTripThroughTheirText) {
  for (const std::string& name : preprocessing_preset_names()) {
    SCOPED_TRACE(name);
    Preprocessing p = preprocessing_preset(name);
    EXPECT_EQ(to_string(parse_preprocessing(to_string(p))), to_string(p));
  }
  // Odd floats survive exactly; later fields change a preset's.
  Preprocessing p = parse_preprocessing("preset=caffe mean=0.1,1e-07,123.456789 std=3 crop=7x9");
  EXPECT_EQ(p.color, ColorOrder::kBgr);
  EXPECT_EQ(p.mean[0], 0.1f);
  EXPECT_EQ(p.mean[1], 1e-07f);
  EXPECT_EQ(p.mean[2], 123.456789f);
  EXPECT_EQ(p.std[1], 3.f);
  EXPECT_EQ(p.crop_height, 7);
  EXPECT_EQ(p.crop_width, 9);
  EXPECT_EQ(to_string(parse_preprocessing(to_string(p))), to_string(p));
  // The imagenet alias is torchvision.
  EXPECT_EQ(to_string(preprocessing_preset("imagenet")),
            to_string(preprocessing_preset("torchvision")));
}

TEST(Preprocessing, BadTextNamesTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {"preset=cifar", "unknown preprocessing preset 'cifar'"},
      {"preset=torchvision mean=1,2", "mean: '1,2' needs 1 or 3"},
      {"std=1,0,1", "std: must be finite and not 0"},
      {"mean=nan", "mean: 'nan' is not a finite number"},
      {"range=1000", "range: 1000 is outside 1..255"},
      {"crop=99999x3", "crop height: 99999 is outside"},
      {"resize=shorter:-1", "resize height: -1 is outside"},
      {"resize=diagonal:3", "resize: 'diagonal' is not one of none, shorter, exact"},
      {"resize=shorter:x", "resize: 'x' is not an integer"},
      {"crop_fraction=0", "crop_fraction: 0 is outside (0, 1]"},
      {"layout=chw", "layout: 'chw' is not one of nchw, nhwc"},
      {"colour=rgb", "colour: unknown field"},
      {"mean", "mean: expected key=value"},
  };
  for (const auto& [text, says] : cases) {
    SCOPED_TRACE(text);
    expect_refused([&] { parse_preprocessing(text); }, says);
  }
}

TEST(Preprocessing, ShapeComesFromTheModelOrRefusesIt) {
  const Preprocessing tv = preprocessing_preset("torchvision");
  const PreprocessedShape s = preprocessed_shape(tv, {-1, 3, 240, 200});
  EXPECT_EQ(s.channels, 3);
  EXPECT_EQ(s.height, 240);
  EXPECT_EQ(s.width, 200);
  EXPECT_EQ(preprocessed_shape(preprocessing_preset("fashion"), {1, 1, 28, 28}).channels, 1);
  expect_refused([&] { preprocessed_shape(tv, {1, 3, 224}); }, "rank 3");
  expect_refused([&] { preprocessed_shape(tv, {1, 224, 224, 3}); }, "try layout nhwc");
  expect_refused([&] { preprocessed_shape(tv, {1, 1, 28, 28}); }, "use gray");
  expect_refused([&] { preprocessed_shape(tv, {-1, 3, -1, -1}); }, "give the crop size");
  Preprocessing crop = tv;
  crop.crop_height = crop.crop_width = 200;
  expect_refused([&] { preprocessed_shape(crop, {1, 3, 224, 224}); }, "does not fit");
  EXPECT_EQ(preprocessed_shape(crop, {-1, 3, -1, -1}).height, 200);
}

TEST(Preprocessing, BadImagesAreRefused) {
  const Preprocessing tv = preprocessing_preset("torchvision");
  const Dims dims{1, 3, 32, 32};
  std::vector<uint8_t> pixels(1000 * 3, 128);
  expect_refused(
      [&] {
        imaging::preprocess_image(tv, dims, ImageView{0, 5, 3, pixels.data()});
      },
      "non-empty image");
  expect_refused(
      [&] {
        imaging::preprocess_image(tv, dims, ImageView{5, 5, 5, pixels.data()});
      },
      "5 channels");
  expect_refused(
      [&] {
        imaging::preprocess_image(tv, dims, ImageView{5, 5, 3, nullptr});
      },
      "no pixels");
  expect_refused(
      [&] {
        imaging::preprocess_image(tv, dims, ImageView{1 << 15, 1 << 14, 1, pixels.data()});
      },
      "more than 268435456 pixels");
  // 1000 x 1: the shorter side resized to 37 would make the longer 37,000 pixels.
  expect_refused(
      [&] {
        imaging::preprocess_image(tv, dims, ImageView{1000, 1, 3, pixels.data()});
      },
      "too elongated");
  Preprocessing none = preprocessing_preset("none");
  expect_refused(
      [&] {
        imaging::preprocess_image(none, dims, ImageView{20, 20, 3, pixels.data()});
      },
      "smaller than the 32x32 crop");
}

// What PIL, torchvision and torch make of tests/data/images (scripts/make_preprocess_refs.py).
// Differences are counted in 8-bit levels (|diff| * std / range * 255). The PNGs decode to the
// same pixels everywhere: the float filters agree to rounding (1e-3 levels) and PIL's filter, whose
// passes round to 8 bits, to one level. The JPEG decodes differently in stb_image and libjpeg
// (IDCT and chroma upsampling): up to 1.9 levels here, 0.07 on average (bounds 4 and 0.2). A wrong
// size, crop offset, channel order or layout shows as tens of levels on average.
TEST(Preprocessing, MatchesPilTorchvisionAndTorch) {
  const std::vector<std::string> images =
      io::read_labels(testing::test_data("preprocess/images.txt"));
  std::ifstream cases(testing::test_data("preprocess/cases.txt"));
  int seen = 0;
  for (std::string line; std::getline(cases, line);) {
    std::stringstream fields(line);
    std::string name, dims_text, text;
    std::getline(fields, name, '\t');
    std::getline(fields, dims_text, '\t');
    std::getline(fields, text);
    SCOPED_TRACE(name);
    Dims dims;
    std::stringstream d(dims_text);
    for (std::string v; std::getline(d, v, 'x');) dims.push_back(std::stoll(v));
    const Preprocessing p = parse_preprocessing(text);
    const Tensor reference = io::read_npy(testing::test_data("preprocess/" + name + ".npy"));
    ASSERT_EQ(reference.dims()[0], static_cast<int64_t>(images.size()));
    const int64_t per_image = reference.numel() / reference.dims()[0];
    const bool nchw = p.layout == ImageLayout::kNchw;
    for (size_t i = 0; i < images.size(); ++i) {
      const io::DecodedImage img =
          io::decode_image(testing::test_data("images/" + images[i]), 1 << 24);
      const Tensor got = imaging::preprocess_image(
          p, dims, ImageView{img.width, img.height, img.channels, img.pixels.data()});
      ASSERT_EQ(got.dims(), dims);
      const float* want = reference.data<float>() + static_cast<int64_t>(i) * per_image;
      const int64_t channels = nchw ? dims[1] : dims[3];
      const int64_t plane = dims[1] * dims[2] * dims[3] / channels;
      double worst = 0, sum = 0;
      for (int64_t k = 0; k < per_image; ++k) {
        const int64_t c = nchw ? k / plane : k % channels;
        const double levels =
            std::fabs(got.data<float>()[k] - want[k]) * p.std[c] / p.range * 255.0;
        worst = std::max(worst, levels);
        sum += levels;
      }
      const double mean = sum / static_cast<double>(per_image);
      const bool jpeg = images[i].ends_with(".jpg");
      const double max_levels = jpeg ? 4.0 : p.filter == ResizeFilter::kPil ? 1.01 : 1e-3;
      const double mean_levels = jpeg ? 0.2 : p.filter == ResizeFilter::kPil ? 0.01 : 1e-4;
      std::printf("%s %s: max %.4f levels, mean %.5f\n", name.c_str(), images[i].c_str(), worst,
                  mean);
      EXPECT_LE(worst, max_levels) << images[i];
      EXPECT_LE(mean, mean_levels) << images[i];
    }
    ++seen;
  }
  EXPECT_EQ(seen, 6);
}

TEST(Preprocessing, StoredInThePlanAndUsedByTheEngine) {
  CompileOptions options;
  options.preprocessing = parse_preprocessing("preset=inception resize=exact:70x80 color=bgr");
  auto engine =
      Engine::compile_onnx(testing::source_dir() + "/models/resnet18_fashion.onnx", options);
  const std::string plan = temp_path("pre.plan");
  engine->save_plan(plan);
  auto loaded = Engine::load_plan(plan);
  ASSERT_TRUE(loaded->options().preprocessing);
  EXPECT_EQ(to_string(*loaded->options().preprocessing), to_string(*options.preprocessing));

  std::vector<uint8_t> pixels(90 * 60 * 3);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i * 7 % 251);
  const ImageView image{90, 60, 3, pixels.data()};
  const Tensor a = loaded->preprocess(image);
  const Tensor b = imaging::preprocess_image(*options.preprocessing, {-1, 3, 64, 64}, image);
  EXPECT_EQ(a.dims(), (Dims{1, 3, 64, 64}));
  EXPECT_EQ(testing::max_abs_diff(a, b), 0.f);
  EXPECT_EQ(testing::run_once(*loaded, a).dims(), (Dims{1, 10}));

  // Without one stored, only an explicit preprocessing applies; errors name the input.
  auto bare = Engine::compile_onnx(testing::source_dir() + "/models/resnet18_fashion.onnx");
  expect_refused([&] { bare->preprocess(image); }, "no preprocessing");
  EXPECT_EQ(bare->preprocess(image, preprocessing_preset("fashion")).dims(), (Dims{1, 3, 64, 64}));
  Preprocessing wrong = preprocessing_preset("torchvision");
  wrong.crop_height = wrong.crop_width = 224;
  expect_refused([&] { bare->preprocess(image, wrong); }, "input 'input'");

  // A plan whose preprocessing line does not read back is corrupt, named as such.
  CompileOptions bad = options;
  bad.preprocessing->std[1] = 0.f;  // to_string writes it; parse_preprocessing refuses it
  write_plan(plan, engine->graph(), bad);
  try {
    read_plan(plan);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidModel) << e.what();
    EXPECT_NE(std::string(e.what()).find(plan + ": corrupt plan file (preprocessing std"),
              std::string::npos)
        << e.what();
  }

  // A plan of the previous format (version 3) loads, without preprocessing.
  write_plan(plan, engine->graph(), options, {}, 3);
  EXPECT_FALSE(read_plan(plan).options.preprocessing);
  std::filesystem::remove(plan);
}

}  // namespace
}  // namespace lowp

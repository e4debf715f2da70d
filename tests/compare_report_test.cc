// `lowp compare` on new kinds of input (.npy datasets with labels, class folders, an fp32 plan)
// and its HTML report, rendered headless by Debian's chromium (scripts/setup.sh installs it): the
// page shows the tables and charts, fetches nothing and draws something.
#include "tools/cli/compare_report.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "tests/test_util.h"
#include "tools/io/idx.h"
#include "tools/io/image_decode.h"
#include "tools/io/npy.h"

namespace lowp {
namespace {

namespace fs = std::filesystem;
using testing::lowp_command;

std::string temp_path(const std::string& name) {
  const auto dir = fs::path(LOWP_BINARY_DIR) / "compare_report_test";
  fs::create_directories(dir);
  return (dir / name).string();
}

std::string fashion_model() { return testing::source_dir() + "/models/resnet18_fashion.onnx"; }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// One JSON object per precision from `lowp compare ... --json`.
std::vector<nlohmann::json> compare_json(const std::string& arguments) {
  const testing::CommandResult r = lowp_command("compare " + arguments + " --json");
  EXPECT_EQ(r.status, 0) << r.output;
  std::vector<nlohmann::json> rows;
  std::stringstream lines(r.output);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line[0] == '{') rows.push_back(nlohmann::json::parse(line));
  }
  return rows;
}

// The first 40 Fashion-MNIST test images as an .npy of inputs and one of labels.
void write_fashion_npy(const std::string& inputs, const std::string& labels) {
  const io::IdxImages images =
      io::read_idx_images(testing::fashion_dir() + "/t10k-images-idx3-ubyte.gz");
  io::write_npy(inputs, testing::fashion_batch(images, 0, 40));
  const std::vector<uint8_t> truth =
      io::read_idx_labels(testing::fashion_dir() + "/t10k-labels-idx1-ubyte.gz");
  Tensor y(DataType::kS64, {40});
  for (int i = 0; i < 40; ++i) y.data<int64_t>()[i] = truth[static_cast<size_t>(i)];
  io::write_npy(labels, y);
}

TEST(CompareInputs, NpyDatasetsFoldersAndPlansGiveTheSameFigures) {
  const std::string x = temp_path("x.npy"), y = temp_path("y.npy");
  write_fashion_npy(x, y);
  const std::string common = " --precisions fp32,bf16";
  const auto idx = compare_json(fashion_model() + common + " --dataset " + testing::fashion_dir() +
                                " --limit 40");
  const auto npy =
      compare_json(fashion_model() + common + " --dataset " + x + " --dataset-labels " + y);
  const auto input =
      compare_json(fashion_model() + common + " --input input=" + x + " --dataset-labels " + y);
  ASSERT_EQ(idx.size(), 2u);
  ASSERT_EQ(npy.size(), 2u);
  ASSERT_EQ(input.size(), 2u);
  for (size_t k = 0; k < 2; ++k) {
    EXPECT_EQ(npy[k]["images"], 40);
    EXPECT_EQ(npy[k]["top1_accuracy"], idx[k]["top1_accuracy"]);
    EXPECT_EQ(npy[k]["top1_agreement"], idx[k]["top1_agreement"]);
    EXPECT_EQ(input[k]["top1_accuracy"], npy[k]["top1_accuracy"]);
  }
  // A folder of class folders: the 8 sample PNGs sorted into folders named by class.
  const fs::path folders = temp_path("folders");
  fs::remove_all(folders);
  for (const auto& e : fs::directory_iterator(testing::source_dir() + "/models/fashion_samples")) {
    const std::string name = e.path().stem().string();  // "00_ankle_boot"
    const fs::path dir = folders / name.substr(3);
    fs::create_directories(dir);
    fs::copy_file(e.path(), dir / e.path().filename());
  }
  const auto by_folder = compare_json(fashion_model() + common + " --dataset " + folders.string());
  const auto by_name = compare_json(fashion_model() + common + " --dataset " +
                                    testing::source_dir() + "/models/fashion_samples");
  ASSERT_EQ(by_folder.size(), 2u);
  EXPECT_EQ(by_folder[0]["images"], 8);
  EXPECT_EQ(by_folder[0]["top1_accuracy"], by_name[0]["top1_accuracy"]);
  EXPECT_GT(by_folder[0]["top1_accuracy"].get<double>(), 0.7);
  // An fp32 plan with its preprocessing: the same figures, no flags.
  const std::string plan = temp_path("fashion.plan");
  ASSERT_EQ(
      lowp_command("compile " + fashion_model() + " -o " + plan + " --preprocess fashion").status,
      0);
  const auto from_plan = compare_json(plan + common + " --dataset " + folders.string());
  ASSERT_EQ(from_plan.size(), 2u);
  EXPECT_EQ(from_plan[1]["top1_agreement"], by_folder[1]["top1_agreement"]);
  EXPECT_EQ(from_plan[1]["top1_accuracy"], by_folder[1]["top1_accuracy"]);
}

// ImageNet repeats class names ("crane"): a file's WNID decides before its name.
TEST(CompareInputs, WnidInAFileNameWinsOverARepeatedName) {
  const fs::path dir = temp_path("wnid");
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::copy_file(testing::source_dir() + "/models/fashion_samples/06_coat.png",
                dir / "n00000004_coat.png");
  const std::string labels = temp_path("wnid_labels.txt");
  std::ofstream out(labels);
  const char* names[] = {"T-shirt", "Trouser", "coat",    "Dress", "coat",
                         "Sandal",  "Shirt",   "Sneaker", "Bag",   "Ankle boot"};
  for (int i = 0; i < 10; ++i) out << "n0000000" << i << " " << names[i] << "\n";
  out.close();
  const auto rows = compare_json(fashion_model() + " --precisions fp32 --dataset " + dir.string() +
                                 " --labels " + labels + " --preprocess fashion");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["top1_accuracy"], 1.0);  // label 4 (fp32 says Coat), not 2
}

TEST(CompareInputs, WrongInputsAreRefusedByName) {
  const std::string x = temp_path("x2.npy"), y = temp_path("y2.npy");
  write_fashion_npy(x, y);
  Tensor short_labels(DataType::kS64, {3});
  io::write_npy(temp_path("short.npy"), short_labels);
  io::write_npy(temp_path("float_labels.npy"), testing::random_tensor({40}, 1));
  io::write_npy(temp_path("wrong_dims.npy"), testing::random_tensor({2, 3, 32, 32}, 1));
  const struct {
    std::string arguments, says;
  } cases[] = {
      {"--input nope=" + x, "the model's input is 'input'"},
      {"--dataset " + x + " --dataset-labels " + temp_path("short.npy"), "3 labels for 40 inputs"},
      {"--dataset " + x + " --dataset-labels " + temp_path("float_labels.npy"),
       "labels must be integers"},
      {"--dataset " + temp_path("wrong_dims.npy"), "do not fit model input 'input'"},
      {"--image " + x + " --dataset " + x, "exactly one of --image, --input or --dataset"},
      {"--dataset " + testing::source_dir() + "/models/fashion_samples --dataset-labels " + y,
       "--dataset-labels goes with"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.arguments);
    const testing::CommandResult r =
        lowp_command("compare " + fashion_model() + " --precisions fp32 " + c.arguments);
    EXPECT_NE(r.status, 0) << r.output;
    EXPECT_NE(r.output.find(c.says), std::string::npos) << r.output;
  }
  const std::string int8_plan = temp_path("int8.plan");
  ASSERT_EQ(lowp_command("compile " + fashion_model() + " -o " + int8_plan +
                         " --precision int8 --calib random --calib-count 4")
                .status,
            0);
  const testing::CommandResult r = lowp_command("compare " + int8_plan + " --dataset " + x);
  EXPECT_NE(r.output.find("is a int8 plan"), std::string::npos) << r.output;
}

// Calibrated on 4 random inputs, int8 changes some of 200 images' top-1: the report has cards.
TEST(CompareReport, RendersHeadlessWithTablesChartsAndThumbnails) {
  const std::string html = temp_path("report.html");
  fs::remove(html);
  const testing::CommandResult r =
      lowp_command("compare " + fashion_model() + " --precisions fp32,bf16,int8 --dataset " +
                   testing::fashion_dir() +
                   " --limit 200 --calib random --calib-count 4 --per-layer --report " + html);
  ASSERT_EQ(r.status, 0) << r.output;
  const std::string page = read_file(html);
  // Self-contained: no script, no stylesheet or image fetched from anywhere.
  EXPECT_EQ(count(page, "<script"), 0);
  EXPECT_EQ(count(page, "<link"), 0);
  for (const char* fetch : {"src=\"http", "src=\"//", "href=\"http", "href=\"//", "url("}) {
    EXPECT_EQ(count(page, fetch), 0) << fetch;
  }

  const std::string chromium = "chromium --headless --no-sandbox --disable-gpu ";
  FILE* pipe = popen((chromium + "--dump-dom file://" + html + " 2>/dev/null").c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string dom;
  char buf[65536];
  for (size_t got; (got = std::fread(buf, 1, sizeof buf, pipe)) > 0;) dom.append(buf, got);
  ASSERT_EQ(pclose(pipe), 0) << "chromium (scripts/setup.sh installs it) did not render " << html;
  EXPECT_EQ(count(dom, "<table id=\"precisions\""), 1) << dom.substr(0, 2000);
  EXPECT_EQ(count(dom, "<table id=\"classes\""), 1);
  EXPECT_EQ(count(dom, "<h2 id=\"per-layer\""), 1);
  EXPECT_EQ(count(dom, "<h2 id=\"sensitivity\""), 1);
  EXPECT_EQ(count(dom, "<td class=\"l\">int8</td>"), 1);
  // Two histograms, two per-layer charts and two sensitivity rankings; a thumbnail per changed
  // image shown.
  EXPECT_EQ(count(dom, "<svg class=\"chart\""), 6);
  EXPECT_GT(count(dom, "<rect class=\"bar\""), 50);
  EXPECT_GT(count(dom, "<img alt=\"\" src=\"data:image/png;base64,"), 0);
  EXPECT_EQ(count(dom, "Fashion") + count(dom, "Ankle boot") > 0, true);

  const std::string shot = temp_path("report.png");
  fs::remove(shot);
  ASSERT_EQ(std::system((chromium + "--window-size=1200,1600 --screenshot=" + shot + " file://" +
                         html + " > /dev/null 2>&1")
                            .c_str()),
            0);
  const io::DecodedImage png = io::decode_image(shot, 1 << 24);
  // Not a blank page: dark text and the charts' blue bars are drawn.
  int64_t dark = 0, blue = 0;
  for (size_t i = 0; i + 2 < png.pixels.size(); i += png.channels) {
    const uint8_t r8 = png.pixels[i], g8 = png.pixels[i + 1], b8 = png.pixels[i + 2];
    dark += r8 < 80 && g8 < 80 && b8 < 80;
    blue += b8 > 150 && r8 < 110 && g8 > 90 && g8 < 150;
  }
  EXPECT_GT(dark, 2000) << shot;
  EXPECT_GT(blue, 2000) << shot;
}

std::string base64_decode(const std::string& text) {
  const std::string digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t bits = 0;
  int n = 0;
  for (char ch : text) {
    if (ch == '=') break;
    bits = (bits << 6) | static_cast<uint32_t>(digits.find(ch));
    if ((n += 6) >= 8) out += static_cast<char>((bits >> (n -= 8)) & 0xff);
  }
  return out;
}

TEST(CompareReport, ThumbnailsUndoThePreprocessing) {
  // A 1x3x2x2 input made by the torchvision preset from known pixels comes back as those pixels.
  const Preprocessing p = preprocessing_preset("torchvision");
  Tensor x(DataType::kF32, {1, 3, 2, 2});
  const uint8_t rgb[3] = {200, 100, 50};
  for (int c = 0; c < 3; ++c) {
    for (int i = 0; i < 4; ++i)
      x.data<float>()[c * 4 + i] = (rgb[c] / 255.f - p.mean[c]) / p.std[c];
  }
  const std::string url = cli::thumbnail_data_url(x, p, 96);
  ASSERT_EQ(url.rfind("data:image/png;base64,", 0), 0u);
  const std::string png = temp_path("thumb.png");
  std::ofstream(png, std::ios::binary) << base64_decode(url.substr(22));
  const io::DecodedImage img = io::decode_image(png, 1 << 20);
  ASSERT_EQ(img.width, 2);
  ASSERT_EQ(img.height, 2);
  for (int i = 0; i < 4; ++i) {
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(img.pixels[i * img.channels + c], rgb[c], 1);
  }
  EXPECT_EQ(cli::thumbnail_data_url(Tensor(DataType::kF32, {1, 5, 2, 2}), p, 96), "");
  EXPECT_EQ(cli::thumbnail_data_url(Tensor(DataType::kF32, {4, 4}), std::nullopt, 96), "");
}

}  // namespace
}  // namespace lowp

// The `lowp` command run as a user runs it (the built binary through a shell): what it says about
// itself, and which .npy dtypes `lowp run` converts for a model input (with a note) or refuses.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "lowp/lowp.h"
#include "tests/onnx_model_builder.h"
#include "tests/test_util.h"
#include "tools/io/npy.h"

namespace lowp {
namespace {

std::string temp_path(const std::string& name) {
  const auto dir = std::filesystem::path(LOWP_BINARY_DIR) / "cli_run_test";
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

// A version 1.0 .npy file of float64 values (lowp's writer has no float64).
void write_f64_npy(const std::string& path, const Dims& dims, const std::vector<double>& values) {
  std::string shape;
  for (int64_t d : dims) shape += std::to_string(d) + ", ";
  std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (" + shape + "), }";
  header.append(64 - (10 + header.size() + 1) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  out.write("\x93NUMPY\x01\x00", 8);
  const uint16_t len = static_cast<uint16_t>(header.size());
  out.put(static_cast<char>(len & 0xff));
  out.put(static_cast<char>(len >> 8));
  out << header;
  out.write(reinterpret_cast<const char*>(values.data()),
            static_cast<std::streamsize>(values.size() * sizeof(double)));
}

// x: int32 [1,4] -> Cast(float) -> y: a model whose input is an integer.
std::string int_input_model() {
  auto m = testing::make_model(13);
  testing::add_io(m.mutable_graph()->add_input(), "x", {1, 4}, onnx::TensorProto_DataType_INT32);
  auto* cast = testing::add_node(m, "Cast", "cast", {"x"}, {"y"});
  auto* to = cast->add_attribute();
  to->set_name("to");
  to->set_type(onnx::AttributeProto_AttributeType_INT);
  to->set_i(onnx::TensorProto_DataType_FLOAT);
  testing::add_io(m.mutable_graph()->add_output(), "y", {1, 4});
  const std::string path = temp_path("int_input.onnx");
  testing::save_model(m, path);
  return path;
}

std::string small_conv_model() {
  const std::string path = temp_path("small_conv.onnx");
  testing::save_model(testing::small_conv_model(), path);
  return path;
}

TEST(CliHelp, NamesTheBackendsThisBuildHas) {
  const testing::CommandResult r = testing::lowp_command("--help");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("x86 CPUs (oneDNN)"), std::string::npos) << r.output;
  if (has_cuda_backend()) {
    EXPECT_NE(r.output.find("NVIDIA GPUs (CUDA"), std::string::npos) << r.output;
  } else {
    EXPECT_NE(r.output.find("no CUDA backend"), std::string::npos) << r.output;
  }
}

// numpy's default float64 runs, narrowed to float32 with a one-line note, and gives the same
// outputs as the float32 file.
TEST(CliRunNpy, Float64IsReadAsFloat32WithANote) {
  const std::string model = small_conv_model();
  const Tensor x = testing::random_tensor({2, 2, 4, 4}, 5);
  std::vector<double> doubles;
  for (float v : x.values<float>()) doubles.push_back(v);
  const std::string f64 = temp_path("x_f64.npy"), f32 = temp_path("x_f32.npy");
  write_f64_npy(f64, x.dims(), doubles);
  io::write_npy(f32, x);
  const testing::CommandResult a =
      testing::lowp_command("run " + model + " " + f64 + " --output-dir " + temp_path("out_f64"));
  ASSERT_EQ(a.status, 0) << a.output;
  EXPECT_NE(a.output.find("note: " + f64 + ": float64 read as float32"), std::string::npos)
      << a.output;
  const testing::CommandResult b =
      testing::lowp_command("run " + model + " " + f32 + " --output-dir " + temp_path("out_f32"));
  ASSERT_EQ(b.status, 0) << b.output;
  EXPECT_EQ(b.output.find("note:"), std::string::npos) << b.output;
  const Tensor ya = io::read_npy(temp_path("out_f64") + "/y.npy");
  const Tensor yb = io::read_npy(temp_path("out_f32") + "/y.npy");
  EXPECT_EQ(testing::max_abs_diff(ya, yb), 0.f);
}

TEST(CliRunNpy, Float64BeyondFloat32IsRefused) {
  const std::string path = temp_path("huge_f64.npy");
  std::vector<double> values(32, 0.5);
  values[7] = 1e300;
  write_f64_npy(path, {1, 2, 4, 4}, values);
  const testing::CommandResult r = testing::lowp_command("run " + small_conv_model() + " " + path);
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find(path), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("beyond float32's range"), std::string::npos) << r.output;
}

// Integer pixels feed a float input (converted, with a note).
TEST(CliRunNpy, IntegersFeedAFloatInput) {
  Tensor x(DataType::kU8, {1, 2, 4, 4});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<uint8_t>()[i] = static_cast<uint8_t>(i * 7);
  const std::string path = temp_path("x_u8.npy");
  io::write_npy(path, x);
  const testing::CommandResult r = testing::lowp_command("run " + small_conv_model() + " " + path);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("u8 converted to f32 for input 'x'"), std::string::npos) << r.output;
}

// An integer input takes integers that fit and refuses floats and integers out of its range.
TEST(CliRunNpy, IntegerInputTakesOnlyWhatFits) {
  const std::string model = int_input_model();
  Tensor fits(DataType::kS64, {1, 4});
  for (int64_t i = 0; i < 4; ++i) fits.data<int64_t>()[i] = i - 2;
  const std::string fits_path = temp_path("fits_s64.npy");
  io::write_npy(fits_path, fits);
  const testing::CommandResult ok = testing::lowp_command("run " + model + " " + fits_path);
  EXPECT_EQ(ok.status, 0) << ok.output;
  EXPECT_NE(ok.output.find("s64 converted to s32"), std::string::npos) << ok.output;

  fits.data<int64_t>()[3] = int64_t{1} << 40;
  const std::string big_path = temp_path("big_s64.npy");
  io::write_npy(big_path, fits);
  const testing::CommandResult big = testing::lowp_command("run " + model + " " + big_path);
  EXPECT_EQ(big.status, 1) << big.output;
  EXPECT_NE(big.output.find("outside s32's range"), std::string::npos) << big.output;
  EXPECT_NE(big.output.find(big_path), std::string::npos) << big.output;

  const std::string float_path = temp_path("float.npy");
  io::write_npy(float_path, testing::random_tensor({1, 4}, 1));
  const testing::CommandResult fl = testing::lowp_command("run " + model + " " + float_path);
  EXPECT_EQ(fl.status, 1) << fl.output;
  EXPECT_NE(fl.output.find("would lose their fractions"), std::string::npos) << fl.output;
}

// --calib-count 0 takes every calibration image there is (the calibration cache records how many
// were seen); a negative count is refused.
TEST(CliCompile, CalibCountZeroTakesEveryImage) {
  const std::string cache = temp_path("all_samples.json");
  std::filesystem::remove(cache);
  const std::string base = "compile " + testing::source_dir() +
                           "/models/resnet18_fashion.onnx -o " + temp_path("all.plan") +
                           " --precision int8 --calib " + testing::source_dir() +
                           "/models/fashion_samples --calib-count ";
  const testing::CommandResult all = testing::lowp_command(base + "0 --calib-cache " + cache);
  ASSERT_EQ(all.status, 0) << all.output;
  std::ifstream in(cache);
  const std::string text{std::istreambuf_iterator<char>(in), {}};
  EXPECT_NE(text.find("\"images\": 8"), std::string::npos) << text.substr(0, 300);
  const testing::CommandResult negative = testing::lowp_command(base + "-1");
  EXPECT_EQ(negative.status, 2) << negative.output;
  EXPECT_NE(negative.output.find("--calib-count"), std::string::npos) << negative.output;
}

}  // namespace
}  // namespace lowp

// tools/io: npy files, idx files, image preprocessing, labels and softmax / top-k.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>

#include "lowp/error.h"
#include "tests/test_util.h"
#include "tools/io/classify.h"
#include "tools/io/idx.h"
#include "tools/io/image_decode.h"
#include "tools/io/image_preprocess.h"
#include "tools/io/labels.h"
#include "tools/io/npy.h"

namespace lowp {
namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("lowp_tools_io_test_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Expects `fn` to throw lowp::Error with `code` whose message names `path`.
template <typename Fn>
void expect_error_naming(Fn&& fn, const std::string& path, ErrorCode code) {
  try {
    fn();
    ADD_FAILURE() << "no error for " << path;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

// A tensor whose bytes are a deterministic pattern valid for its dtype.
Tensor pattern_tensor(DataType dtype, const Dims& dims) {
  Tensor t(dtype, dims);
  auto* bytes = static_cast<uint8_t*>(t.raw());
  for (size_t i = 0; i < t.bytes(); ++i) bytes[i] = static_cast<uint8_t>(i * 37 + 11);
  if (dtype == DataType::kBool) {
    for (size_t i = 0; i < t.bytes(); ++i) bytes[i] &= 1;
  }
  if (dtype == DataType::kF16) {  // avoid NaN patterns so values compare equal
    auto* h = t.data<uint16_t>();
    for (int64_t i = 0; i < t.numel(); ++i) h[i] = float_to_half(static_cast<float>(i) * 0.5f - 3);
  }
  return t;
}

class NpyRoundTrip : public ::testing::TestWithParam<DataType> {};

TEST_P(NpyRoundTrip, WritesAndReadsBack) {
  const DataType dtype = GetParam();
  for (const Dims& dims : {Dims{2, 3, 5}, Dims{7}, Dims{}, Dims{0, 4}}) {
    const Tensor t = pattern_tensor(dtype, dims);
    const std::string path = temp_path(std::string(name_of(dtype)) + ".npy");
    io::write_npy(path, t);
    const std::string bytes = read_bytes(path);
    ASSERT_GE(bytes.size(), 10u);
    EXPECT_EQ((bytes.size() - t.bytes()) % 64, 0u) << "data not 64-byte aligned";
    const Tensor back = io::read_npy(path);
    EXPECT_EQ(back.dtype(), dtype);
    EXPECT_EQ(back.dims(), dims);
    ASSERT_EQ(back.bytes(), t.bytes());
    EXPECT_EQ(std::memcmp(back.raw(), t.raw(), t.bytes()), 0);
    std::remove(path.c_str());
  }
}

INSTANTIATE_TEST_SUITE_P(AllDtypes, NpyRoundTrip,
                         ::testing::Values(DataType::kF32, DataType::kF16, DataType::kS64,
                                           DataType::kS32, DataType::kS8, DataType::kU8,
                                           DataType::kBool),
                         [](const auto& info) { return std::string(name_of(info.param)); });

// A hand-made npy file: `dict` padded with spaces and a newline, then `data`.
std::string make_npy(char major, std::string dict, const std::string& data) {
  const size_t len_size = major == 1 ? 2 : 4;
  dict += std::string(63 - (8 + len_size + dict.size()) % 64, ' ') + "\n";
  std::string file = std::string("\x93NUMPY", 6) + major + '\0';
  for (size_t i = 0; i < len_size; ++i) file += static_cast<char>((dict.size() >> (8 * i)) & 0xff);
  return file + dict + data;
}

TEST(Npy, ReadsVersion2And3Headers) {
  const int32_t values[2] = {-5, 123456};
  const std::string data(reinterpret_cast<const char*>(values), sizeof(values));
  for (char major : {'\x02', '\x03'}) {
    // Double quotes and no trailing comma are valid too.
    const std::string path = temp_path("v2.npy");
    write_bytes(path, make_npy(major,
                               "{\"descr\": \"<i4\", \"fortran_order\": False, "
                               "\"shape\": (2,)}",
                               data));
    const Tensor t = io::read_npy(path);
    ASSERT_EQ(t.dims(), (Dims{2}));
    EXPECT_EQ(t.data<int32_t>()[0], -5);
    EXPECT_EQ(t.data<int32_t>()[1], 123456);
    std::remove(path.c_str());
  }
}

TEST(Npy, TruncatedFileNamesThePath) {
  const std::string path = temp_path("truncated.npy");
  io::write_npy(path, pattern_tensor(DataType::kF32, {4, 4}));
  const std::string bytes = read_bytes(path);
  write_bytes(path, bytes.substr(0, bytes.size() - 3));
  expect_error_naming([&] { io::read_npy(path); }, path, ErrorCode::kInvalidModel);
  write_bytes(path, bytes.substr(0, 20));  // inside the header
  expect_error_naming([&] { io::read_npy(path); }, path, ErrorCode::kInvalidModel);
  write_bytes(path, bytes + "xx");  // trailing bytes
  expect_error_naming([&] { io::read_npy(path); }, path, ErrorCode::kInvalidModel);
  std::remove(path.c_str());
}

TEST(Npy, GarbageNamesThePath) {
  const std::string path = temp_path("garbage.npy");
  write_bytes(path, "this is not an npy file at all, just some text\n");
  expect_error_naming([&] { io::read_npy(path); }, path, ErrorCode::kInvalidModel);

  const std::string data(12, '\0');  // three f32
  for (const char* dict : {
           "{'descr' '<f4', 'fortran_order': False, 'shape': (3,), }",
           "{'descr': '<f4', 'fortran_order': False, 'shape': (3, x), }",
           "{'descr': '<f4', 'fortran_order': False, 'shape': (3), }",
           "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (3,), }",
           "{'descr': '<f4', 'fortran_order': False, }",
           "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'extra': 1}",
           "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (3,)}",
           "{'descr': '<f4', 'fortran_order': False, 'shape': (3,) ",
           "{'descr': '<f4', 'fortran_order': False, 'shape': (-3,)}",
       }) {
    write_bytes(path, make_npy(1, dict, data));
    expect_error_naming([&] { io::read_npy(path); }, path, ErrorCode::kInvalidModel);
  }
  // A header length past the end of the file.
  const char* good = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,)}";
  std::string bad_len = make_npy(1, good, data);
  bad_len[8] = '\xff';
  bad_len[9] = '\xff';
  write_bytes(path, bad_len);
  expect_error_naming([&] { io::read_npy(path); }, path, ErrorCode::kInvalidModel);
  std::remove(path.c_str());
}

TEST(Npy, UnsupportedDtypeAndFortranOrder) {
  const std::string path = temp_path("unsupported.npy");
  io::write_npy(path, pattern_tensor(DataType::kF32, {2, 2}));
  const std::string good = read_bytes(path);

  std::string c8 = good;
  c8.replace(c8.find("<f4"), 3, "<c8");
  write_bytes(path, c8);
  expect_error_naming([&] { io::read_npy(path); }, path, ErrorCode::kUnsupported);

  std::string big_endian = good;
  big_endian.replace(big_endian.find("<f4"), 3, ">f4");
  write_bytes(path, big_endian);
  expect_error_naming([&] { io::read_npy(path); }, path, ErrorCode::kUnsupported);

  std::string fortran = good;
  fortran.replace(fortran.find("False"), 5, "True ");
  write_bytes(path, fortran);
  expect_error_naming([&] { io::read_npy(path); }, path, ErrorCode::kUnsupported);
  std::remove(path.c_str());
}

// float64 (numpy's default) is narrowed to float32 and says so; beyond float32's range it is
// refused rather than turned into infinities.
TEST(Npy, Float64IsNarrowedToFloat32) {
  const std::string path = temp_path("f64.npy");
  io::write_npy(path, pattern_tensor(DataType::kS64, {3}));
  std::string bytes = read_bytes(path);
  const size_t data = bytes.size() - 3 * sizeof(double);
  bytes.replace(bytes.find("<i8"), 3, "<f8");
  const double values[3] = {0.1, -2.5e10, 1e300};
  std::memcpy(bytes.data() + data, values, sizeof values);
  write_bytes(path, bytes);
  expect_error_naming([&] { io::read_npy(path); }, path, ErrorCode::kInvalidArgument);
  const double finite[3] = {0.1, -2.5e10, std::numeric_limits<double>::infinity()};
  std::memcpy(bytes.data() + data, finite, sizeof finite);
  write_bytes(path, bytes);
  io::NpyConversion conversion;
  const Tensor t = io::read_npy(path, &conversion);
  EXPECT_EQ(conversion.from, "float64");
  EXPECT_EQ(conversion.to, "float32");
  ASSERT_EQ(t.dtype(), DataType::kF32);
  EXPECT_EQ(t.data<float>()[0], 0.1f);
  EXPECT_EQ(t.data<float>()[1], -2.5e10f);
  EXPECT_EQ(t.data<float>()[2], std::numeric_limits<float>::infinity());
  std::remove(path.c_str());
}

TEST(Npy, MissingFileNamesThePath) {
  const std::string path = temp_path("does_not_exist.npy");
  expect_error_naming([&] { io::read_npy(path); }, path, ErrorCode::kIo);
  const std::string unwritable = "/nonexistent-dir/x.npy";
  expect_error_naming([&] { io::write_npy(unwritable, Tensor(DataType::kF32, {1})); }, unwritable,
                      ErrorCode::kIo);
}

TEST(Npy, ReadsStoredReference) {
  const Tensor t = io::read_npy(testing::test_data("fashion_test_first16_input.npy"));
  EXPECT_EQ(t.dtype(), DataType::kF32);
  EXPECT_EQ(t.dims(), (Dims{16, 3, 64, 64}));
}

std::string fashion_path(const std::string& name) {
  return std::string(LOWP_FASHION_MNIST) + "/" + name;
}

TEST(Idx, FashionTestSet) {
  const io::IdxImages images = io::read_idx_images(fashion_path("t10k-images-idx3-ubyte.gz"));
  EXPECT_EQ(images.count, 10000);
  EXPECT_EQ(images.rows, 28);
  EXPECT_EQ(images.cols, 28);
  const std::vector<uint8_t> labels =
      io::read_idx_labels(fashion_path("t10k-labels-idx1-ubyte.gz"));
  ASSERT_EQ(labels.size(), 10000u);
  EXPECT_EQ(labels[0], 9);  // the first test image is an ankle boot
  for (uint8_t l : labels) ASSERT_LT(l, 10);
}

TEST(Idx, WrongMagicAndTruncation) {
  const std::string labels = fashion_path("t10k-labels-idx1-ubyte.gz");
  expect_error_naming([&] { io::read_idx_images(labels); }, labels, ErrorCode::kInvalidModel);
  const std::string path = temp_path("short.idx");
  write_bytes(path, std::string("\0\0\x08\x01\0\0\0\x05\1\2", 10));
  expect_error_naming([&] { io::read_idx_labels(path); }, path, ErrorCode::kInvalidModel);
  std::remove(path.c_str());
  expect_error_naming([&] { io::read_idx_labels(path); }, path, ErrorCode::kIo);
}

TEST(Preprocess, FashionMatchesPyTorchReference) {
  const io::IdxImages images = io::read_idx_images(fashion_path("t10k-images-idx3-ubyte.gz"));
  const Tensor reference = io::read_npy(testing::test_data("fashion_test_first16_input.npy"));
  ASSERT_EQ(reference.dims(), (Dims{16, 3, 64, 64}));
  const size_t per_image = 3 * 64 * 64;
  for (int i = 0; i < 16; ++i) {
    const Tensor mine = io::preprocess_fashion_28x28(images.image(i));
    ASSERT_EQ(mine.dims(), (Dims{1, 3, 64, 64}));
    float* row = const_cast<float*>(reference.data<float>()) + i * per_image;
    const Tensor expected = Tensor::view(DataType::kF32, {1, 3, 64, 64}, row);
    EXPECT_LE(testing::max_abs_diff(mine, expected), 1e-5f) << "image " << i;
  }
}

TEST(Preprocess, ImagenetDimsAndRange) {
  const std::string path = testing::test_data("images/scene_500x375.jpg");
  const Tensor t =
      io::load_image_preprocessed(path, preprocessing_preset("torchvision"), {1, 3, 224, 224});
  ASSERT_EQ(t.dims(), (Dims{1, 3, 224, 224}));
  // (0 - 0.485) / 0.229 = -2.118 and (1 - 0.406) / 0.225 = 2.64 bound every value.
  float lo = 1e9f, hi = -1e9f;
  double sum = 0;
  for (float v : t.values<float>()) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    sum += v;
  }
  EXPECT_GE(lo, -2.12f);
  EXPECT_LE(hi, 2.65f);
  EXPECT_GT(hi - lo, 2.f) << "a photo-like picture should span a wide range";
  EXPECT_LT(std::fabs(sum / static_cast<double>(t.numel())), 1.5);
}

// tests/data's reference was made with PIL as torchvision 0.14 does it (antialiased bilinear
// resize of the 8-bit image, centre crop; scripts/make_test_data.py). For the PNGs the decoded
// pixels are identical, so any difference is the resize's arithmetic and rounding: at most one
// level of 255 (0.0175 after normalisation). JPEG decoders differ (stb_image vs libjpeg) by a level
// or two more. A wrong resize size, crop or channel order shows as mean errors > 0.05.
TEST(Preprocess, ImagenetMatchesTorchvisionReference) {
  const Tensor reference = io::read_npy(testing::test_data("images_torchvision_input.npy"));
  const std::vector<std::string> files =
      io::read_labels(testing::test_data("images_torchvision_files.txt"));
  ASSERT_EQ(files.size(), 3u);
  ASSERT_EQ(reference.dims(), (Dims{3, 3, 224, 224}));
  const size_t per_image = 3 * 224 * 224;
  for (size_t row = 0; row < files.size(); ++row) {
    const Tensor mine =
        io::load_image_preprocessed(testing::test_data("images/" + files[row]),
                                    preprocessing_preset("torchvision"), {1, 3, 224, 224});
    float* ref_row = const_cast<float*>(reference.data<float>()) + row * per_image;
    const Tensor expected = Tensor::view(DataType::kF32, {1, 3, 224, 224}, ref_row);
    double mean_diff = 0;
    for (size_t i = 0; i < per_image; ++i) {
      mean_diff += std::fabs(mine.data<float>()[i] - ref_row[i]);
    }
    mean_diff /= static_cast<double>(per_image);
    const float max_diff = testing::max_abs_diff(mine, expected);
    std::printf("%s: max |diff| %.5f, mean |diff| %.6f\n", files[row].c_str(), max_diff, mean_diff);
    const bool png = files[row].ends_with(".png");
    EXPECT_LE(max_diff, png ? 0.018f : 0.05f) << files[row];
    EXPECT_LE(mean_diff, png ? 0.001 : 0.002) << files[row];
  }
}

TEST(Preprocess, FashionFromImageFileAndErrors) {
  const std::string missing = temp_path("missing.png");
  expect_error_naming(
      [&] {
        io::load_image_preprocessed(missing, preprocessing_preset("fashion"), {1, 3, 64, 64});
      },
      missing, ErrorCode::kIo);
  const std::string garbage = temp_path("garbage.png");
  write_bytes(garbage, "not a png");
  expect_error_naming(
      [&] {
        io::load_image_preprocessed(garbage, preprocessing_preset("fashion"), {1, 3, 64, 64});
      },
      garbage, ErrorCode::kInvalidArgument);
  std::remove(garbage.c_str());

  // A colour JPEG in fashion mode: converted to grey and resized to 28x28 first.
  const std::string photo = testing::test_data("images/scene_500x375.jpg");
  const Tensor t =
      io::load_image_preprocessed(photo, preprocessing_preset("fashion"), {1, 3, 64, 64});
  EXPECT_EQ(t.dims(), (Dims{1, 3, 64, 64}));
  EXPECT_THROW(preprocessing_preset("cifar"), Error);
}

// A JPEG whose Huffman table declares more than 256 codes: Debian's stb_image 2.27 writes past
// its table (found by the image fuzzer, fuzz/regressions/image/); lowp refuses it first.
TEST(Preprocess, JpegWithAnOversizedHuffmanTableIsRefused) {
  // The fuzzer's files: one table runs past the end of the file (stb still reads it), one is in
  // the header stbi_info reads, one starts with fill bytes before its SOI.
  for (const char* name : {"crash-c5089147509f50980f4b8c0d4570eab1c228b6c7",
                           "crash-747fe151fc2809f4ed90bdab69c0b064c4c8eb8c",
                           "crash-1cfc4e374bfbf55b263c7bfa40924b288c934236",
                           "crash-66f3ec169fdbb50576b7c46a2ccc14cbdb51ae6b"}) {
    const std::string jpeg = testing::source_dir() + "/fuzz/regressions/image/" + name;
    for (const char* preset : {"torchvision", "fashion"}) {
      expect_error_naming(
          [&] {
            io::load_image_preprocessed(jpeg, preprocessing_preset(preset), {1, 3, 64, 64});
          },
          "Huffman table of", ErrorCode::kInvalidArgument);
    }
  }
  // SOI, DHT of class 0 id 0 whose 16 counts add to 16 x 20 = 320 codes, EOI.
  std::vector<uint8_t> bytes{0xFF, 0xD8, 0xFF, 0xC4, 0x01, 0x53, 0x00};
  bytes.insert(bytes.end(), 16, 20);
  bytes.resize(bytes.size() + 320, 0);
  bytes.insert(bytes.end(), {0xFF, 0xD9});
  EXPECT_NE(io::jpeg_huffman_table_problem(bytes).find("320 codes"), std::string::npos);
  bytes[7] = 1;  // 15 x 20 + 1 = 301: still too many
  EXPECT_NE(io::jpeg_huffman_table_problem(bytes), "");
  // The repo's photo passes the check (and decodes).
  const std::string photo = testing::test_data("images/scene_500x375.jpg");
  std::ifstream in(photo, std::ios::binary);
  const std::vector<uint8_t> good{std::istreambuf_iterator<char>(in), {}};
  EXPECT_EQ(io::jpeg_huffman_table_problem(good), "");
}

// models/fashion_samples/ holds the first 8 test images as PNG: decoding one gives the same
// tensor as the idx path.
TEST(Preprocess, FashionPngSampleMatchesIdx) {
  const io::IdxImages images = io::read_idx_images(fashion_path("t10k-images-idx3-ubyte.gz"));
  const std::string png =
      std::string(LOWP_SOURCE_DIR) + "/models/fashion_samples/00_ankle_boot.png";
  const Tensor from_png =
      io::load_image_preprocessed(png, preprocessing_preset("fashion"), {1, 3, 64, 64});
  const Tensor from_idx = io::preprocess_fashion_28x28(images.image(0));
  EXPECT_EQ(testing::max_abs_diff(from_png, from_idx), 0.f);
}

TEST(Labels, ReadsLinesAndBuiltInNames) {
  const std::string path = temp_path("labels.txt");
  write_bytes(path, "cat\r\ndog\nbird\n");
  EXPECT_EQ(io::read_labels(path), (std::vector<std::string>{"cat", "dog", "bird"}));
  std::remove(path.c_str());
  expect_error_naming([&] { io::read_labels(path); }, path, ErrorCode::kIo);
  std::string thousand;
  for (int i = 0; i < 1000; ++i) thousand += "class " + std::to_string(i) + "\n";
  write_bytes(path, thousand);
  const auto many = io::read_labels(path);
  ASSERT_EQ(many.size(), 1000u);
  EXPECT_EQ(many[999], "class 999");
  std::remove(path.c_str());
  const auto fashion = io::fashion_mnist_classes();
  ASSERT_EQ(fashion.size(), 10u);
  EXPECT_EQ(fashion[0], "T-shirt/top");
  EXPECT_EQ(fashion[9], "Ankle boot");
}

TEST(Classify, SoftmaxAndTopK) {
  const std::vector<float> logits = {1.f, 3.f, 2.f, 3.f, 1000.f};
  const std::vector<float> p = io::softmax(logits);
  EXPECT_NEAR(p[4], 1.f, 1e-6f);
  const std::vector<float> small = io::softmax(std::vector<float>{0.f, std::log(3.f)});
  EXPECT_NEAR(small[0], 0.25f, 1e-6f);
  EXPECT_NEAR(small[1], 0.75f, 1e-6f);
  EXPECT_EQ(io::top_k(logits, 3), (std::vector<int64_t>{4, 1, 3}));
  EXPECT_EQ(io::top_k(logits, 10).size(), 5u);
  EXPECT_TRUE(io::top_k(logits, 0).empty());
}

}  // namespace
}  // namespace lowp

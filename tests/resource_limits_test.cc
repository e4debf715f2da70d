// Files that ask for far more than they hold, or for hours of work at compile time: each is read
// in a child process whose address space (RLIMIT_AS) and time (alarm) are limited, and must end in
// a lowp::Error naming the problem, not in an allocation of what the header claims (std::bad_alloc,
// or the OOM killer without the limit) or a hang.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "lowp/lowp.h"
#include "tests/onnx_model_builder.h"
#include "tools/io/idx.h"
#include "tools/io/image_preprocess.h"

using namespace lowp;
using namespace lowp::testing;
namespace fs = std::filesystem;

namespace {

constexpr rlim_t kLimit = rlim_t{2} << 30;  // 2 GiB of address space for the child

// In the child: limits the address space, runs `fn`, and returns 0 when it threw a lowp::Error
// whose message holds `says`.
int run_limited(const std::function<void()>& fn, const std::string& says) {
  const rlimit r{kLimit, kLimit};
  setrlimit(RLIMIT_AS, &r);
  ::alarm(60);  // a hang ends the child (SIGALRM) and fails the test
  try {
    fn();
    std::fprintf(stderr, "no error\n");
    return 1;
  } catch (const Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return std::string(e.what()).find(says) == std::string::npos ? 2 : 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "not a lowp::Error: %s\n", e.what());
    return 3;
  }
}

// Runs `fn` in a child process limited to kLimit bytes of address space; passes when `fn` throws
// a lowp::Error whose message holds `says`.
void expect_error_within_limit(const std::function<void()>& fn, const std::string& says) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(std::_Exit(run_limited(fn, says)), ::testing::ExitedWithCode(0), "");
}

std::string temp_path(const std::string& name) {
  return (fs::temp_directory_path() / ("lowp_limits_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// A model y = x + w whose initializer w has `dims` and the data `fill` gives it.
std::string model_with_initializer(const std::string& name, std::vector<int64_t> dims,
                                   const std::function<void(onnx::TensorProto*)>& fill) {
  onnx::ModelProto m = make_model(13);
  add_io(m.mutable_graph()->add_input(), "x", {1});
  add_io(m.mutable_graph()->add_output(), "y", {1});
  add_node(m, "Add", "add", {"x", "w"}, {"y"});
  onnx::TensorProto* w = add_initializer(m, "w", dims, {});
  fill(w);
  const std::string path = temp_path(name);
  save_model(m, path);
  return path;
}

TEST(ResourceLimits, InitializerDimsWithoutDataAllocateNothing) {
  const std::string path = model_with_initializer("no_data.onnx", {8589934592}, [](auto*) {});
  expect_error_within_limit([&] { Engine::compile_onnx(path); }, "tensor 'w': holds 0 values");
  fs::remove(path);
}

// One node on a constant: the importer's shape propagation and constant folding must not run it
// when it asks for more than the folding limits.
std::string model_on_constant(const std::string& name, const std::string& op,
                              const std::function<void(onnx::ModelProto&, onnx::NodeProto*)>& set) {
  onnx::ModelProto m = make_model(13);
  add_io(m.mutable_graph()->add_input(), "x", {1});
  add_io(m.mutable_graph()->add_output(), "y", {-1});
  add_initializer(m, "c", {1, 1, 2, 2}, {1, 2, 3, 4});
  onnx::NodeProto* n = add_node(m, op, "hostile", {"c"}, {"folded"});
  set(m, n);
  add_node(m, "Add", "add", {"x", "folded"}, {"y"});
  const std::string path = temp_path(name);
  save_model(m, path);
  return path;
}

TEST(ResourceLimits, FoldingAPoolOfAMillionSquaredTapsIsRefusedNotRun) {
  const std::string path = model_on_constant("pool.onnx", "AveragePool", [](auto&, auto* n) {
    set_ints(n, "kernel_shape", {1000000, 1000000});
    set_ints(n, "strides", {1000000, 1000000});
    set_ints(n, "pads", {1000000, 1000000, 1000000, 1000000});
  });
  expect_error_within_limit([&] { Engine::compile_onnx(path); }, "node 'hostile' (AveragePool");
  expect_error_within_limit([&] { Engine::compile_onnx(path); }, "folding.max_node_work");
  fs::remove(path);
}

TEST(ResourceLimits, FoldingAResizeToSixteenGibIsRefusedNotAllocated) {
  const std::string path = model_on_constant("resize.onnx", "Resize", [](auto& m, auto* n) {
    add_initializer(m, "scales", {4}, {1.f, 1.f, 32768.f, 32768.f});
    n->add_input("");
    n->add_input("scales");
  });
  expect_error_within_limit([&] { Engine::compile_onnx(path); }, "folding.max_node_bytes");
  fs::remove(path);
}

// The limits are options: a small fold passes by default and is refused under a tiny limit.
TEST(ResourceLimits, FoldingLimitsAreOptions) {
  const std::string path = model_on_constant("small_pool.onnx", "MaxPool", [](auto&, auto* n) {
    set_ints(n, "kernel_shape", {2, 2});
  });
  EXPECT_NO_THROW(Engine::compile_onnx(path));
  CompileOptions tiny;
  tiny.folding.max_node_work = 1;
  try {
    Engine::compile_onnx(path, tiny);
    FAIL() << "compiled";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("needs 4 operations, over the limit of 1"),
              std::string::npos)
        << e.what();
  }
  fs::remove(path);
}

TEST(ResourceLimits, ExternalDataRangesAreCheckedBeforeReading) {
  const std::string data = temp_path("weights.bin");
  write_bytes(data, std::string(16, '\0'));
  struct Case {
    std::string offset, length, says;
  };
  const Case cases[] = {
      // offset + length overflows int64: must not wrap into a range that "fits".
      {"9223372036854775807", "9223372036854775807", "exceeds"},
      {"8", "16", "exceeds"},
      {"0", "8", "external data holds 8 bytes, the dims need 16"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.offset + " +" + c.length);
    const std::string path = model_with_initializer("external.onnx", {4}, [&](auto* w) {
      w->set_data_location(onnx::TensorProto_DataLocation_EXTERNAL);
      auto add = [&](const char* key, const std::string& value) {
        auto* kv = w->add_external_data();
        kv->set_key(key);
        kv->set_value(value);
      };
      add("location", fs::path(data).filename().string());
      add("offset", c.offset);
      add("length", c.length);
    });
    expect_error_within_limit([&] { Engine::compile_onnx(path); }, c.says);
    fs::remove(path);
  }
  fs::remove(data);
}

// A greyscale PNG of width x height black pixels (filter 0 rows, zlib-compressed).
std::string png_bytes(uint32_t width, uint32_t height) {
  auto be32 = [](uint32_t v) {
    return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                       static_cast<char>(v >> 8), static_cast<char>(v)};
  };
  auto chunk = [&](const std::string& type, const std::string& body) {
    const std::string typed = type + body;
    const auto crc = static_cast<uint32_t>(
        crc32(0, reinterpret_cast<const Bytef*>(typed.data()), static_cast<uInt>(typed.size())));
    return be32(static_cast<uint32_t>(body.size())) + typed + be32(crc);
  };
  const std::string ihdr = be32(width) + be32(height) + std::string("\x08\x00\x00\x00\x00", 5);
  const std::string raw(static_cast<size_t>(height) * (width + 1), '\0');
  uLongf packed_size = compressBound(raw.size());
  std::string packed(packed_size, '\0');
  compress2(reinterpret_cast<Bytef*>(packed.data()), &packed_size,
            reinterpret_cast<const Bytef*>(raw.data()), raw.size(), 9);
  packed.resize(packed_size);
  return std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", ihdr) + chunk("IDAT", packed) +
         chunk("IEND", "");
}

TEST(ResourceLimits, ImagesThatWouldDecodeOrResizeHugeAreRefused) {
  struct Case {
    uint32_t width, height;
    std::string says;
  };
  const Case cases[] = {
      // The shorter side resized to 256 would make it 25,600,000 x 256 (79 GB of floats).
      {100000, 1, "cannot decode image"},  // over stb's side limit (STBI_MAX_DIMENSIONS)
      {16000, 1, "too elongated"},         // decodes; its resize would be 4,096,000 x 256
      {8200, 8200, "over the limit of 67108864 pixels"},  // checked before decoding
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::to_string(c.width) + "x" + std::to_string(c.height));
    const std::string path = temp_path("huge.png");
    write_bytes(path, png_bytes(c.width, c.height));
    expect_error_within_limit(
        [&] {
          io::load_image_preprocessed(path, preprocessing_preset("torchvision"), {1, 3, 224, 224});
        },
        c.says);
    fs::remove(path);
  }
  // An ordinary size still works.
  const std::string path = temp_path("small.png");
  write_bytes(path, png_bytes(300, 200));
  EXPECT_EQ(io::load_image_preprocessed(path, preprocessing_preset("torchvision"), {1, 3, 224, 224})
                .dims(),
            (Dims{1, 3, 224, 224}));
  fs::remove(path);
}

TEST(ResourceLimits, IdxHeadersClaimingMoreThanTheFileHoldAreRefused) {
  const std::string path = temp_path("claims.idx");
  // 2^32 - 1 images of 16384 x 16384 claimed, one byte of pixels given.
  write_bytes(path, std::string("\0\0\x08\x03\xff\xff\xff\xff\0\0\x40\0\0\0\x40\0\x07", 17));
  expect_error_within_limit([&] { io::read_idx_images(path); }, "idx file is truncated");
  write_bytes(path, std::string("\0\0\x08\x01\xff\xff\xff\xff\x07", 9));
  expect_error_within_limit([&] { io::read_idx_labels(path); }, "idx file is truncated");
  fs::remove(path);
}

}  // namespace

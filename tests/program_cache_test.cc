// The one program-cache policy (core/lru_cache.h): bounded, least recently used first.
// An engine whose callers vary input shapes or the values of shape-deciding inputs keeps its memory
// flat: 10,000 distinct shapes, and 10,000 distinct values, cost no more than the first few
// hundred.
#include <gtest/gtest.h>
#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/lru_cache.h"
#include "lowp/lowp.h"
#include "tests/onnx_model_builder.h"
#include "tests/test_util.h"

namespace lowp {
namespace {

using namespace lowp::testing;

TEST(LruCache, EvictsTheLeastRecentlyUsed) {
  LruCache<int, std::string> cache(2);
  EXPECT_FALSE(cache.insert(1, "one").evicted);
  EXPECT_FALSE(cache.insert(2, "two").evicted);
  ASSERT_NE(cache.find(1), nullptr);  // 1 is now the most recent
  auto third = cache.insert(3, "three");
  ASSERT_TRUE(third.evicted);
  EXPECT_EQ(*third.evicted, "two");
  EXPECT_EQ(third.value, "three");
  EXPECT_EQ(cache.find(2), nullptr);
  EXPECT_EQ(*cache.find(1), "one");
  EXPECT_EQ(cache.size(), 2u);
  // Inserting a present key replaces its value, evicts nothing else, hands the old value back.
  auto again = cache.insert(3, "THREE");
  EXPECT_EQ(*again.evicted, "three");
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(*cache.find(1), "one");
  // make_room frees the least recently used only when full.
  EXPECT_EQ(*cache.make_room(), "THREE");  // 1 was found after 3 was replaced
  EXPECT_FALSE(cache.make_room());
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ((LruCache<int, int>(0).capacity()), 1u);
}

size_t resident_bytes() {
  malloc_trim(0);
  long pages = 0, resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<size_t>(resident) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

std::string temp_model(const onnx::ModelProto& m, const std::string& name) {
  const std::string dir = std::string(LOWP_BINARY_DIR) + "/program_cache_test";
  std::filesystem::create_directories(dir);
  save_model(m, dir + "/" + name);
  return dir + "/" + name;
}

// x[N,8] -> Relu -> y: every batch size is a new program.
std::string relu_model() {
  auto m = make_model(13);
  add_io(m.mutable_graph()->add_input(), "x", {-1, 8});
  add_node(m, "Relu", "relu", {"x"}, {"y"});
  add_io(m.mutable_graph()->add_output(), "y", {-1, 8});
  return temp_model(m, "relu.onnx");
}

// x[1,10000] f32 and e[1] s64 -> Slice(x, 0, e, axis 1) -> Relu -> y[1,e]: every value of e decides
// the output dims, so the engine compiles one variant per value.
std::string slice_model() {
  auto m = make_model(13);
  add_io(m.mutable_graph()->add_input(), "x", {1, 10000});
  add_io(m.mutable_graph()->add_input(), "e", {1}, onnx::TensorProto_DataType_INT64);
  for (const char* name : {"zero", "one"}) {
    auto* t = m.mutable_graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto_DataType_INT64);
    t->add_dims(1);
    t->add_int64_data(name[0] == 'z' ? 0 : 1);
  }
  add_node(m, "Slice", "slice", {"x", "zero", "e", "one"}, {"s"});
  add_node(m, "Relu", "relu", {"s"}, {"y"});
  add_io(m.mutable_graph()->add_output(), "y", {1, -1});
  return temp_model(m, "slice.onnx");
}

// A shape-deciding input bound in device memory is refused before the host reads it (it was read
// to pick the variant: a crash on a real device pointer).
TEST(ProgramCache, DeviceBoundShapeInputIsRefusedBeforeItIsRead) {
  auto engine = Engine::compile_onnx(slice_model());
  auto session = engine->create_session();
  Tensor x(DataType::kF32, {1, 10000});
  const Tensor e = Tensor::view(DataType::kS64, {1}, reinterpret_cast<void*>(uintptr_t{16}));
  try {
    session->run({{"x", x, MemoryKind::kCuda}, {"e", e, MemoryKind::kCuda}});
    FAIL() << "ran";
  } catch (const Error& err) {
    EXPECT_NE(std::string(err.what()).find("device memory"), std::string::npos) << err.what();
  }
}

TEST(ProgramCache, TenThousandShapesKeepMemoryFlat) {
  auto engine = Engine::compile_onnx(relu_model());
  auto session = engine->create_session();
  size_t after_warm_up = 0;
  for (int64_t n = 1; n <= 10000; ++n) {
    Tensor x(DataType::kF32, {n, 8});
    const Tensor y = session->run({{"x", x}}).at(0);
    ASSERT_EQ(y.dims(), (Dims{n, 8}));
    if (n == 2000) after_warm_up = resident_bytes();
  }
  const size_t end = resident_bytes();
  std::printf("resident after 2,000 shapes %.1f MB, after 10,000 %.1f MB\n",
              static_cast<double>(after_warm_up) / 1e6, static_cast<double>(end) / 1e6);
  EXPECT_LT(end, after_warm_up + (8u << 20));
}

TEST(ProgramCache, TenThousandShapeValuesKeepMemoryFlat) {
  auto engine = Engine::compile_onnx(slice_model());
  ASSERT_EQ(engine->value_inputs(), (std::vector<std::string>{"e"}));
  auto session = engine->create_session();
  const Tensor x = random_tensor({1, 10000}, 3);
  size_t after_warm_up = 0;
  Tensor e(DataType::kS64, {1});
  for (int64_t v = 1; v <= 10000; ++v) {
    e.data<int64_t>()[0] = v;
    const Tensor y = session->run({{"x", x}, {"e", e}}).at(0);
    ASSERT_EQ(y.dims(), (Dims{1, v}));
    if (v == 2000) after_warm_up = resident_bytes();
  }
  const size_t end = resident_bytes();
  std::printf("resident after 2,000 values %.1f MB, after 10,000 %.1f MB\n",
              static_cast<double>(after_warm_up) / 1e6, static_cast<double>(end) / 1e6);
  EXPECT_LT(end, after_warm_up + (8u << 20));
}

// The same from four threads sharing each engine: shapes and values new to the engine arrive
// concurrently (programs and variants are built while other threads run), memory stays flat.
TEST(ProgramCache, FourThreadsOfNewShapesAndValuesKeepMemoryFlat) {
  auto shapes = Engine::compile_onnx(relu_model());
  auto values = Engine::compile_onnx(slice_model());
  const Tensor x = random_tensor({1, 10000}, 3);
  std::atomic<int> wrong{0};
  auto work = [&](int thread, int64_t from, int64_t to) {
    auto a = shapes->create_session();
    auto b = values->create_session();
    Tensor e(DataType::kS64, {1});
    for (int64_t k = from + thread; k <= to; k += 4) {
      const Tensor in(DataType::kF32, {k, 8});
      if (a->run({{"x", in}}).at(0).dims() != Dims{k, 8}) ++wrong;
      e.data<int64_t>()[0] = k;
      if (b->run({{"x", x}, {"e", e}}).at(0).dims() != Dims{1, k}) ++wrong;
    }
  };
  auto run_threads = [&](int64_t from, int64_t to) {
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) threads.emplace_back(work, t, from, to);
    for (auto& t : threads) t.join();
  };
  run_threads(1, 2000);
  const size_t after_warm_up = resident_bytes();
  run_threads(2001, 10000);
  const size_t end = resident_bytes();
  std::printf("4 threads: resident after 2,000 shapes and values %.1f MB, after 10,000 %.1f MB\n",
              static_cast<double>(after_warm_up) / 1e6, static_cast<double>(end) / 1e6);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_LT(end, after_warm_up + (16u << 20));
}

TEST(ProgramCache, SizeIsAnOption) {
  CompileOptions none;
  none.program_cache_size = 0;
  EXPECT_THROW(Engine::compile_onnx(relu_model(), none), Error);
  // A cache of one still runs alternating shapes correctly.
  CompileOptions one;
  one.program_cache_size = 1;
  auto engine = Engine::compile_onnx(relu_model(), one);
  auto session = engine->create_session();
  for (int i = 0; i < 6; ++i) {
    const int64_t n = 1 + i % 3;
    const Tensor x = random_tensor({n, 8}, static_cast<uint32_t>(i));
    const Tensor y = session->run({{"x", x}}).at(0);
    for (int64_t k = 0; k < x.numel(); ++k) {
      ASSERT_EQ(y.data<float>()[k], std::max(0.f, x.data<float>()[k]));
    }
  }
}

}  // namespace
}  // namespace lowp

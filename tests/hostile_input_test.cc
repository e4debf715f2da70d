// Corrupt and hostile files never crash lowp: thousands of deterministic byte mutations of a valid
// ONNX model and of a valid plan either load (and then run or fail cleanly) or throw lowp::Error.
#include <gtest/gtest.h>
#include <xxhash.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>

#include "engine/plan_format.h"
#include "frontends/onnx/onnx_importer.h"
#include "lowp/lowp.h"
#include "tests/net_builder.h"
#include "tests/onnx_model_builder.h"
#include "tests/test_util.h"
#include "tools/io/calibration_sources.h"

using namespace lowp;
using namespace lowp::testing;
namespace fs = std::filesystem;

namespace {

std::string mutate(const std::string& bytes, std::mt19937& rng) {
  std::string m = bytes;
  std::uniform_int_distribution<int> kind(0, 3);
  int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits && !m.empty(); ++e) {
    std::uniform_int_distribution<size_t> pos(0, m.size() - 1);
    switch (kind(rng)) {
      case 0:
        m[pos(rng)] = static_cast<char>(rng());
        break;  // flip a byte
      case 1:
        m.resize(pos(rng));
        break;  // truncate
      case 2:
        m.insert(pos(rng), 1 + rng() % 8, static_cast<char>(rng()));
        break;  // insert
      default:
        m[pos(rng)] = static_cast<char>(0xff);
        break;  // large varints
    }
  }
  return m;
}

// Loads with `load`, and if that works, runs batch 1 once: only lowp::Error may escape.
void load_and_maybe_run(const std::function<std::shared_ptr<const Engine>()>& load) {
  const char* stage = "load";
  try {
    auto engine = load();
    if (engine->inputs().empty()) return;
    Dims dims = engine->inputs().at(0).dims;
    for (auto& d : dims) d = d < 0 ? 1 : d;
    if (dims.size() > 8 || element_count(dims) > (1 << 20)) return;
    stage = "input";
    Tensor x(engine->inputs()[0].dtype, dims);
    stage = "session";
    auto session = engine->create_session();
    stage = "run";
    session->run({{engine->inputs()[0].name, x}});
  } catch (const std::bad_alloc&) {
    ADD_FAILURE() << "std::bad_alloc escaped at stage " << stage;
  } catch (const Error&) {
    // A clear error is the expected outcome for most mutations.
  }
}

// Expects `fn` to throw lowp::Error of `code` whose message contains each of `says`.
void expect_error(const std::function<void()>& fn, ErrorCode code,
                  const std::vector<std::string>& says) {
  try {
    fn();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    for (const std::string& s : says)
      EXPECT_NE(std::string(e.what()).find(s), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(HostileInput, MutatedOnnxModelsNeverCrash) {
  fs::path dir = fs::temp_directory_path() / "lowp_hostile_onnx";
  fs::create_directories(dir);
  std::string good;
  small_conv_model().SerializeToString(&good);
  std::mt19937 rng(1234);
  std::string path = (dir / "m.onnx").string();
  for (int i = 0; i < 1500; ++i) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << mutate(good, rng);
    load_and_maybe_run([&] { return Engine::compile_onnx(path); });
  }
}

TEST(HostileInput, MutatedPlansNeverCrash) {
  fs::path dir = fs::temp_directory_path() / "lowp_hostile_plan";
  fs::create_directories(dir);
  std::string onnx = (dir / "m.onnx").string();
  save_model(small_conv_model(), onnx);
  std::string plan = (dir / "good.plan").string();
  Engine::compile_onnx(onnx)->save_plan(plan);
  std::ifstream in(plan, std::ios::binary);
  std::string good((std::istreambuf_iterator<char>(in)), {});
  std::mt19937 rng(99);
  std::string path = (dir / "m.plan").string();
  for (int i = 0; i < 1500; ++i) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << mutate(good, rng);
    load_and_maybe_run([&] { return Engine::load_plan(path); });
  }
}

// Past the checksum: payload bytes flipped in place and the checksum recomputed, so the parser
// itself meets the garbage (counts, indices, dtypes, dims).
TEST(HostileInput, MutatedPlanPayloadsWithValidChecksumNeverCrash) {
  fs::path dir = fs::temp_directory_path() / "lowp_hostile_payload";
  fs::create_directories(dir);
  std::string onnx = (dir / "m.onnx").string();
  save_model(small_conv_model(), onnx);
  std::string plan = (dir / "good.plan").string();
  Engine::compile_onnx(onnx)->save_plan(plan);
  std::ifstream in(plan, std::ios::binary);
  std::string good((std::istreambuf_iterator<char>(in)), {});
  ASSERT_GT(good.size(), 64u);
  std::mt19937 rng(7);
  std::string path = (dir / "m.plan").string();
  int loaded = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string m = good;
    std::uniform_int_distribution<size_t> pos(64, m.size() - 1);
    for (int e = 0; e < 1 + static_cast<int>(rng() % 3); ++e)
      m[pos(rng)] = static_cast<char>(rng());
    uint64_t sum = XXH3_64bits(m.data() + 64, m.size() - 64);
    std::memcpy(m.data() + 24, &sum, 8);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << m;
    load_and_maybe_run([&] {
      auto e = Engine::load_plan(path);
      ++loaded;
      return e;
    });
  }
  std::cout << loaded << " of 3000 mutated plans parsed (the rest were refused cleanly)\n";
}

// A plan whose checksum is right but whose graph is not (here: a per-channel weight with one scale
// too few, which the int8 kernels would index past) is refused on load, naming the file, before
// anything runs it.
TEST(HostileInput, PlanWithInconsistentQuantParamsIsRefusedOnLoad) {
  Net n;
  Value* x = n.input("x", {1, 2, 8, 8});
  Value* w = n.constant(random_tensor({4, 2, 3, 3}, 5));
  n.g->outputs = {n.op("Conv", {x, w}, {{"pads", std::vector<int64_t>{1, 1, 1, 1}}})};
  CompileOptions options;
  options.precision = Precision::kInt8;
  options.calibration.source =
      io::make_calibration_source("random", "random", 4, 2, std::nullopt, {-1, 2, 8, 8});
  const std::string plan =
      (fs::temp_directory_path() / ("lowp_bad_quant_" + std::to_string(::getpid()) + ".plan"))
          .string();
  Engine::compile(n.g, options)->save_plan(plan);
  LoadedPlan loaded = read_plan(plan);
  int edited = 0;
  for (const auto& v : loaded.graph->values()) {
    if (v->quant && v->quant->axis >= 0 && v->quant->scales.size() > 1) {
      v->quant->scales.pop_back();
      v->quant->zero_points.pop_back();
      ++edited;
    }
  }
  ASSERT_GT(edited, 0) << "no per-channel quantized value in the int8 plan";
  write_plan(plan, *loaded.graph, loaded.options, loaded.tactics);
  expect_error([&] { Engine::load_plan(plan); }, ErrorCode::kInvalidModel,
               {plan, "3 scales for 4 channels"});
  fs::remove(plan);
}

// Dims no tensor can have, declared by a model (a graph input of 3 x 4 x 2^63-1: its element
// count overflows int64, found by the ONNX fuzzer, fuzz/regressions/onnx_model/) or stored in a
// plan, are refused naming the input before anything multiplies them.
TEST(HostileInput, DeclaredDimsPastTheElementLimitAreRefused) {
  const fs::path dir = fs::temp_directory_path() / ("lowp_huge_dims_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  for (const std::vector<int64_t>& dims :
       {std::vector<int64_t>{3, 4, INT64_MAX}, {1 << 20, 1 << 20, 2}, {2, -5}}) {
    onnx::ModelProto m = make_model(13);
    add_io(m.mutable_graph()->add_input(), "x", dims);
    // add_io makes negative dims symbolic: a dim_value of -5 is written by hand.
    auto* shape =
        m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
    for (int i = 0; i < shape->dim_size(); ++i)
      if (dims[static_cast<size_t>(i)] < 0)
        shape->mutable_dim(i)->set_dim_value(dims[static_cast<size_t>(i)]);
    add_io(m.mutable_graph()->add_output(), "y", dims);
    add_node(m, "Relu", "relu", {"x"}, {"y"});
    const std::string path = (dir / "m.onnx").string();
    save_model(m, path);
    expect_error([&] { Engine::compile_onnx(path); }, ErrorCode::kInvalidModel,
                 {"input 'x': declared"});
  }
  // The same dims in a plan (checksum right): the verifier refuses them on load.
  Net n;
  Value* x = n.input("x", {1, 4});
  n.g->outputs = {n.op("Relu", {x})};
  x->shape = Shape::from_dims({3, 4, INT64_MAX});
  const std::string plan = (dir / "m.plan").string();
  write_plan(plan, *n.g, {});
  expect_error([&] { Engine::load_plan(plan); }, ErrorCode::kInvalidModel,
               {"exceed 2^32 elements"});
  fs::remove_all(dir);
}

// Values no integer can hold: Resize scales that make an infinite (or absurd) axis are refused
// at compile; NaN quantizes to the zero point (a cast of NaN to an integer is undefined).
TEST(HostileInput, InfiniteResizeScalesAndNanQuantizationAreDefined) {
  for (float scale : {INFINITY, 1e30f}) {
    Net n;
    Tensor scales(DataType::kF32, {4});
    const float s[4] = {1.f, 1.f, scale, 1.f};
    std::copy(s, s + 4, scales.data<float>());
    n.g->outputs = {n.op("Resize", {n.input("x", {1, 1, 2, 2}), nullptr, n.constant(scales)})};
    try {
      Engine::compile(n.g, {});
      FAIL() << "compiled with scale " << scale;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("the scales make an output axis"), std::string::npos)
          << e.what();
    }
  }
  Net q;
  Tensor zero(DataType::kU8, {});
  *zero.data<uint8_t>() = 3;
  q.g->outputs = {
      q.op("QuantizeLinear", {q.input("x", {3}), q.constant(scalar(1.f)), q.constant(zero)})};
  propagate_shapes(*q.g);
  Tensor x(DataType::kF32, {3});
  x.data<float>()[0] = NAN;
  x.data<float>()[1] = 1.f;
  x.data<float>()[2] = -INFINITY;
  const Tensor y = reference::run_graph(*q.g, {x}).at(0);
  EXPECT_EQ(y.data<uint8_t>()[0], 3);
  EXPECT_EQ(y.data<uint8_t>()[1], 4);
  EXPECT_EQ(y.data<uint8_t>()[2], 0);
}

// The public API: compile, plan save/load (and refusal of bad plans), sessions on caller-owned
// buffers, dynamic batch, many threads on one engine, clear errors for wrong inputs.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "frontends/onnx/onnx_importer.h"
#include "lowp/lowp.h"
#include "reference/reference_executor.h"
#include "tests/net_builder.h"
#include "tests/onnx_model_builder.h"
#include "tests/test_util.h"

using namespace lowp;
using namespace lowp::testing;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  fs::path dir;
  std::string onnx_path;
};

Fixture make_fixture(const std::string& name) {
  Fixture f;
  f.dir = fs::temp_directory_path() / ("lowp_api_test_" + name);
  fs::remove_all(f.dir);
  fs::create_directories(f.dir);
  f.onnx_path = (f.dir / "small.onnx").string();
  save_model(small_conv_model(), f.onnx_path);
  return f;
}

Tensor reference_output(const std::string& onnx_path, const Tensor& input) {
  auto g = onnx_frontend::import_file(onnx_path);
  return reference::run_graph(*g, {input}).at(0);
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(EngineApi, RunsOnCallerBuffersWithDynamicBatch) {
  auto f = make_fixture("dynamic");
  auto engine = Engine::compile_onnx(f.onnx_path);
  ASSERT_EQ(engine->inputs().size(), 1u);
  EXPECT_EQ(engine->inputs()[0].dims, (Dims{-1, 2, 4, 4}));
  auto session = engine->create_session();
  for (int64_t batch : {1, 3, 8, 3}) {
    Tensor x = random_tensor({batch, 2, 4, 4}, static_cast<uint32_t>(batch));
    std::vector<float> out(static_cast<size_t>(batch * 3), -1.f);
    session->run({{"x", x}}, {{"y", Tensor::view(DataType::kF32, {batch, 3}, out.data())}});
    Tensor expected = reference_output(f.onnx_path, x);
    Tensor got = Tensor::view(DataType::kF32, {batch, 3}, out.data());
    EXPECT_LT(max_abs_diff(got, expected), 1e-5f) << "batch " << batch;
  }
}

// A value listed twice among a hand-built graph's outputs is refused (its second copy used to come
// back as zeros; found by the differential tester).
TEST(EngineApi, GraphOutputListedTwice) {
  auto graph = onnx_frontend::import_file(make_fixture("twice").onnx_path);
  graph->outputs.push_back(graph->outputs[0]);
  try {
    Engine::compile(graph, CompileOptions{});
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("output 'y' is listed twice"), std::string::npos)
        << e.what();
  }
}

TEST(EngineApi, PlanRoundTripGivesSameOutputs) {
  auto f = make_fixture("plan");
  auto engine = Engine::compile_onnx(f.onnx_path);
  std::string plan = (f.dir / "small.plan").string();
  engine->save_plan(plan);
  auto loaded = Engine::load_plan(plan);
  Tensor x = random_tensor({2, 2, 4, 4}, 7);
  auto a = engine->create_session()->run({{"x", x}});
  auto b = loaded->create_session()->run({{"x", x}});
  EXPECT_EQ(max_abs_diff(a.at(0), b.at(0)), 0.f);
}

TEST(EngineApi, RefusesBadPlans) {
  auto f = make_fixture("badplan");
  std::string plan = (f.dir / "small.plan").string();
  Engine::compile_onnx(f.onnx_path)->save_plan(plan);
  std::string bytes;
  {
    std::ifstream in(plan, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto write = [&](const std::string& name, const std::string& content) {
    std::string p = (f.dir / name).string();
    std::ofstream(p, std::ios::binary) << content;
    return p;
  };
  std::string truncated = write("truncated.plan", bytes.substr(0, bytes.size() - 100));
  EXPECT_NE(error_of([&] { Engine::load_plan(truncated); }).find("truncated"), std::string::npos);
  std::string corrupted_bytes = bytes;
  corrupted_bytes[bytes.size() / 2] ^= 0x55;
  std::string corrupted = write("corrupted.plan", corrupted_bytes);
  EXPECT_NE(error_of([&] { Engine::load_plan(corrupted); }).find("checksum"), std::string::npos);
  std::string versioned_bytes = bytes;
  versioned_bytes[8] = 99;
  std::string versioned = write("version.plan", versioned_bytes);
  EXPECT_NE(error_of([&] { Engine::load_plan(versioned); }).find("version 99"), std::string::npos);
  EXPECT_NE(error_of([&] { Engine::load_plan(f.onnx_path); }).find("not a lowp plan"),
            std::string::npos);
  EXPECT_NE(
      error_of([&] { Engine::load_plan((f.dir / "missing.plan").string()); }).find("no such file"),
      std::string::npos);
  std::string empty = write("empty.plan", "");
  EXPECT_NE(error_of([&] { Engine::load_plan(empty); }).find(empty), std::string::npos);
}

// A failed write leaves no temporary file behind, and writers saving to one path at once each
// write their own temporary file: the plan that remains is whole.
TEST(EngineApi, PlanWritesAreAtomicAndCleanUp) {
  auto f = make_fixture("planwrite");
  auto engine = Engine::compile_onnx(f.onnx_path);
  const fs::path into_dir = f.dir / "a_folder.plan";
  fs::create_directory(into_dir);
  EXPECT_NE(error_of([&] { engine->save_plan(into_dir.string()); }), "");
  EXPECT_NE(error_of([&] { engine->save_plan((f.dir / "no" / "such.plan").string()); }), "");
  const std::string plan = (f.dir / "shared.plan").string();
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        if (!error_of([&] { engine->save_plan(plan); }).empty()) ++failures;
      }
    });
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_NO_THROW(Engine::load_plan(plan));
  for (const auto& entry : fs::directory_iterator(f.dir)) {
    EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << entry.path();
  }
}

// The passes work on a copy: the caller's graph is what it was.
TEST(EngineApi, CompileLeavesTheCallersGraphAlone) {
  Net n;
  Value* x = n.input("x", {1, 4});
  n.g->outputs = {n.op("Relu", {n.op("Identity", {n.op("Identity", {x})})})};
  propagate_shapes(*n.g);
  std::ostringstream before, after;
  n.g->print(before);
  const size_t nodes = n.g->nodes().size();
  auto engine = Engine::compile(n.g, {});
  n.g->print(after);
  EXPECT_EQ(n.g->nodes().size(), nodes);
  EXPECT_EQ(after.str(), before.str());
  EXPECT_EQ(engine->create_session()->run({{"x", random_tensor({1, 4}, 3)}}).size(), 1u);
}

TEST(EngineApi, WrongInputsAreClearErrors) {
  auto f = make_fixture("wrong");
  auto engine = Engine::compile_onnx(f.onnx_path);
  auto session = engine->create_session();
  Tensor good = random_tensor({1, 2, 4, 4}, 1);
  Tensor bad_dims = random_tensor({1, 3, 4, 4}, 1);
  Tensor bad_type(DataType::kS64, {1, 2, 4, 4});
  EXPECT_NE(error_of([&] {
              session->run({{"x", bad_dims}});
            }).find("expects dims"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              session->run({{"x", bad_type}});
            }).find("expects f32"),
            std::string::npos);
  EXPECT_NE(error_of([&] { session->run({}); }).find("'x' is not bound"), std::string::npos);
  EXPECT_NE(error_of([&] {
              session->run({{"x", good}, {"bogus", good}});
            }).find("bogus"),
            std::string::npos);
  std::vector<float> small(2);
  EXPECT_NE(
      error_of([&] {
        session->run({{"x", good}}, {{"y", Tensor::view(DataType::kF32, {1, 2}, small.data())}});
      }).find("'y'"),
      std::string::npos);
}

TEST(EngineApi, ManyThreadsShareOneEngine) {
  auto f = make_fixture("threads");
  auto engine = Engine::compile_onnx(f.onnx_path);
  Tensor x = random_tensor({4, 2, 4, 4}, 3);
  Tensor expected = reference_output(f.onnx_path, x);
  std::vector<float> worst(8, 1.f);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      auto session = engine->create_session();
      float w = 0.f;
      for (int i = 0; i < 20; ++i)
        w = std::max(w, max_abs_diff(session->run({{"x", x}}).at(0), expected));
      worst[t] = w;
    });
  }
  for (auto& th : threads) th.join();
  for (float w : worst) EXPECT_LT(w, 1e-5f);
}

// x.view(x.size(0), -1) as PyTorch exports it with a dynamic batch: Shape -> Gather -> Unsqueeze
// -> Concat -> Reshape must resolve for every batch size at run time.
TEST(EngineApi, DynamicBatchShapeSubgraphFeedingReshape) {
  auto m = shape_subgraph_reshape_model({-1, 3, 2, 2});
  add_io(m.mutable_graph()->add_output(), "y", {-1, 12});
  add_node(m, "Relu", "relu", {"r"}, {"y"});
  auto dir = fs::temp_directory_path() / "lowp_api_test_shape_subgraph";
  fs::create_directories(dir);
  std::string path = (dir / "m.onnx").string();
  save_model(m, path);
  auto engine = Engine::compile_onnx(path);
  EXPECT_TRUE(engine->value_inputs().empty());
  // Declared statically too (ShuffleNetV2 and ViT once had an undefined output dtype).
  ASSERT_EQ(engine->outputs().size(), 1u);
  EXPECT_EQ(engine->outputs()[0].dtype, DataType::kF32);
  EXPECT_EQ(engine->outputs()[0].dims, (Dims{-1, 12}));
  auto session = engine->create_session();
  for (int64_t batch : {2, 5, 1}) {
    Tensor x = random_tensor({batch, 3, 2, 2}, static_cast<uint32_t>(batch));
    EXPECT_EQ(engine->output_dims({x.dims()}).at(0), (Dims{batch, 12}));
    Tensor y = session->run({{"x", x}}).at(0);
    ASSERT_EQ(y.dims(), (Dims{batch, 12}));
    for (int64_t i = 0; i < y.numel(); ++i) {
      EXPECT_FLOAT_EQ(y.data<float>()[i], std::max(0.f, x.data<float>()[i]));
    }
  }
}

// A QDQ graph as ONNX Runtime's quantizer writes it: Q -> DQ -> float Conv -> Add(DQ residual) ->
// Relu -> Q -> DQ. The CPU engine must agree with the reference executor.
TEST(EngineApi, QdqGraphMatchesReference) {
  for (bool fold : {true, false}) {
    auto m = make_model(13);
    add_io(m.mutable_graph()->add_input(), "x", {1, 2, 4, 4});
    add_io(m.mutable_graph()->add_input(), "r", {1, 3, 4, 4});
    add_io(m.mutable_graph()->add_output(), "y", {1, 3, 4, 4});
    auto scalar = [&](const std::string& name, float v) { add_initializer(m, name, {}, {v}); };
    scalar("s", 0.02f);
    auto* zp = m.mutable_graph()->add_initializer();
    zp->set_name("zp");
    zp->set_data_type(onnx::TensorProto_DataType_UINT8);
    zp->add_int32_data(128);
    add_node(m, "QuantizeLinear", "q_in", {"x", "s", "zp"}, {"xq"});
    add_node(m, "DequantizeLinear", "dq_in", {"xq", "s", "zp"}, {"xd"});
    std::vector<float> w(3 * 2 * 3 * 3);
    for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>((i * 5) % 7) / 7.f - 0.4f;
    add_initializer(m, "w", {3, 2, 3, 3}, w);
    add_initializer(m, "b", {3}, {0.1f, -0.1f, 0.05f});
    auto* conv = add_node(m, "Conv", "conv", {"xd", "w", "b"}, {"c"});
    set_ints(conv, "pads", {1, 1, 1, 1});
    add_node(m, "QuantizeLinear", "q_res", {"r", "s", "zp"}, {"rq"});
    add_node(m, "DequantizeLinear", "dq_res", {"rq", "s", "zp"}, {"rd"});
    add_node(m, "Add", "add", {"c", "rd"}, {"a"});
    add_node(m, "Relu", "relu", {"a"}, {"rl"});
    add_node(m, "QuantizeLinear", "q_out", {"rl", "s", "zp"}, {"yq"});
    add_node(m, "DequantizeLinear", "dq_out", {"yq", "s", "zp"}, {"y"});
    auto dir = fs::temp_directory_path() / "lowp_api_test_qdq";
    fs::create_directories(dir);
    std::string path = (dir / "m.onnx").string();
    save_model(m, path);
    Tensor x = random_tensor({1, 2, 4, 4}, 5);
    Tensor r = random_tensor({1, 3, 4, 4}, 6);
    Tensor expected = reference::run_graph(*onnx_frontend::import_file(path), {x, r}).at(0);
    CompileOptions options;
    if (!fold) options.disabled_passes = {"qdq-folding"};
    Tensor got =
        Engine::compile_onnx(path, options)->create_session()->run({{"x", x}, {"r", r}}).at(0);
    EXPECT_LT(max_abs_diff(got, expected), 0.021f) << (fold ? "folded" : "unfolded");  // one step
  }
}

// Q -> DQ round trip with a non-zero zero point at the shape where oneDNN 2.6's reorder with a
// source zero point went wrong (ResNet-18 layer4, 512x7x7): the engine must match the reference.
TEST(EngineApi, QuantizeDequantizeRoundTripWithZeroPoint) {
  for (int64_t c : {3, 64, 512}) {
    auto m = make_model(13);
    add_io(m.mutable_graph()->add_input(), "x", {1, c, 7, 7});
    add_io(m.mutable_graph()->add_output(), "y", {1, c, 7, 7});
    add_initializer(m, "s", {}, {0.05f});
    auto* zp = m.mutable_graph()->add_initializer();
    zp->set_name("zp");
    zp->set_data_type(onnx::TensorProto_DataType_UINT8);
    zp->add_int32_data(131);
    add_node(m, "QuantizeLinear", "q", {"x", "s", "zp"}, {"xq"});
    add_node(m, "DequantizeLinear", "dq", {"xq", "s", "zp"}, {"y"});
    auto dir = fs::temp_directory_path() / "lowp_api_test_qdq_zp";
    fs::create_directories(dir);
    std::string path = (dir / "m.onnx").string();
    save_model(m, path);
    Tensor x = random_tensor({1, c, 7, 7}, 11, -3.f, 3.f);
    Tensor expected = reference_output(path, x);
    CompileOptions options;
    options.disabled_passes = {"qdq-folding"};
    Tensor got = Engine::compile_onnx(path, options)->create_session()->run({{"x", x}}).at(0);
    EXPECT_LE(max_abs_diff(got, expected), 0.0501f) << "channels " << c;  // at most one step
  }
}

// The typed fused activation (Node::activation): every kind fused by the pass computes what the
// standalone ONNX activation computed (reference kernels before and after, and the CPU engine);
// fusion asks the target backend; plans keep it (this version and version 2's attributes); files
// cannot smuggle lowp's internal attributes in.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "engine/plan_format.h"
#include "frontends/onnx/onnx_importer.h"
#include "lowp/backend.h"
#include "lowp/lowp.h"
#include "lowp/shape_propagation.h"
#include "passes/activation_fusion.h"
#include "reference/reference_executor.h"
#include "tests/onnx_model_builder.h"
#include "tests/test_util.h"

using namespace lowp;
using namespace lowp::testing;

namespace {

struct Case {
  const char* op;
  std::map<std::string, Attribute> attributes;
  std::vector<float> bounds;  // Clip's min / max inputs
  FusedActivation expected;
};

std::vector<Case> cases() {
  return {
      {"Relu", {}, {}, FusedActivation::of(ActivationKind::kRelu)},
      {"LeakyRelu", {{"alpha", 0.2f}}, {}, FusedActivation::leaky_relu(0.2f)},
      {"LeakyRelu", {}, {}, FusedActivation::leaky_relu(0.01f)},  // ONNX's default
      {"Clip", {}, {-0.5f, 0.25f}, FusedActivation::clip(-0.5f, 0.25f)},
      {"Clip", {}, {}, FusedActivation::of(ActivationKind::kClip)},  // unbounded
      {"Sigmoid", {}, {}, FusedActivation::of(ActivationKind::kSigmoid)},
      {"Tanh", {}, {}, FusedActivation::of(ActivationKind::kTanh)},
      {"HardSigmoid",
       {{"alpha", 0.3f}, {"beta", 0.4f}},
       {},
       FusedActivation::hard_sigmoid(0.3f, 0.4f)},
      {"HardSigmoid", {}, {}, FusedActivation::hard_sigmoid(0.2f, 0.5f)},
      {"HardSwish", {}, {}, FusedActivation::of(ActivationKind::kHardSwish)},
  };
}

// x[N,4,6,6] -> Conv -> activation -> y, or x[N,12] -> Gemm -> activation -> y.
std::shared_ptr<Graph> producer_then(const Case& c, bool conv) {
  auto g = std::make_shared<Graph>();
  Value* x = g->add_value("x", DataType::kF32,
                          conv ? Shape({Dim{-1, "N"}, Dim{4, {}}, Dim{6, {}}, Dim{6, {}}})
                               : Shape({Dim{-1, "N"}, Dim{12, {}}}));
  g->inputs.push_back(x);
  Value* p = g->add_value("p");
  Node* producer = nullptr;
  if (conv) {
    producer = g->add_node("Conv", "producer",
                           {x, g->add_constant("w", random_tensor({8, 4, 3, 3}, 1, -0.5f, 0.5f)),
                            g->add_constant("b", random_tensor({8}, 2))},
                           {p});
    producer->attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  } else {
    producer = g->add_node("Gemm", "producer",
                           {x, g->add_constant("w", random_tensor({12, 7}, 3, -0.5f, 0.5f)),
                            g->add_constant("b", random_tensor({7}, 4))},
                           {p});
  }
  std::vector<Value*> ins = {p};
  for (size_t i = 0; i < c.bounds.size(); ++i) {
    Tensor t(DataType::kF32, {});
    t.data<float>()[0] = c.bounds[i];
    ins.push_back(g->add_constant(i ? "hi" : "lo", std::move(t)));
  }
  Value* y = g->add_value("y");
  g->add_node(c.op, "act", ins, {y})->attributes = c.attributes;
  g->outputs.push_back(y);
  propagate_shapes(*g);
  return g;
}

const Node& producer_of(const Graph& g) { return *g.outputs[0]->producer; }

TEST(FusedActivation, EveryKindFusesAndComputesTheSame) {
  for (bool conv : {true, false}) {
    for (const Case& c : cases()) {
      SCOPED_TRACE(std::string(c.op) + (conv ? " after Conv" : " after Gemm"));
      auto g = producer_then(c, conv);
      const Tensor x =
          conv ? random_tensor({2, 4, 6, 6}, 5, -3.f, 3.f) : random_tensor({3, 12}, 6, -3.f, 3.f);
      const Tensor before = reference::run_graph(*g, {x}).at(0);
      PassContext ctx;
      ctx.backend_supports = cpu_supports;
      ASSERT_TRUE(ActivationFusionPass().run(*g, ctx));
      ASSERT_EQ(g->nodes().size(), 1u);
      EXPECT_EQ(producer_of(*g).activation, c.expected);
      propagate_shapes(*g);
      EXPECT_LT(max_abs_diff(before, reference::run_graph(*g, {x}).at(0)), 1e-6f);
      // The CPU backend (oneDNN post-ops) agrees with the reference kernels.
      auto engine = Engine::compile(producer_then(c, conv), CompileOptions{});
      auto out = engine->create_session()->run({{"x", x}});
      EXPECT_LT(max_abs_diff(before, out.at(0)), 1e-5f);
      EXPECT_EQ(producer_of(engine->graph()).activation, c.expected);
    }
  }
}

TEST(FusedActivation, FusionAsksTheTargetBackend) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.op);
    auto g = producer_then(c, true);
    PassContext ctx;
    ctx.backend_supports = cuda_supports;
    const bool fused = ActivationFusionPass().run(*g, ctx);
    // cuBLASLt's and lowp's epilogues apply Relu, Clip and LeakyRelu; the others stay nodes.
    const ActivationKind k = c.expected.kind;
    const bool epilogue =
        k == ActivationKind::kRelu || k == ActivationKind::kClip || k == ActivationKind::kLeakyRelu;
    EXPECT_EQ(fused, epilogue && has_cuda_backend());
    EXPECT_EQ(g->nodes().size(), fused ? 1u : 2u);
    if (!fused) {
      EXPECT_FALSE(g->nodes()[0]->activation.present());
    }
  }
}

TEST(FusedActivation, ClipWithRuntimeBoundsDoesNotFuse) {
  auto g = std::make_shared<Graph>();
  Value* x = g->add_value("x", DataType::kF32, Shape::from_dims({1, 3}));
  Value* lo = g->add_value("lo", DataType::kF32, Shape::from_dims({}));
  g->inputs = {x, lo};
  Value* p = g->add_value("p");
  g->add_node("Gemm", "fc", {x, g->add_constant("w", random_tensor({3, 2}, 7))}, {p});
  Value* y = g->add_value("y");
  g->add_node("Clip", "clip", {p, lo}, {y});
  g->outputs = {y};
  propagate_shapes(*g);
  PassContext ctx;
  EXPECT_FALSE(ActivationFusionPass().run(*g, ctx));
}

std::string temp_file(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("lowp_fused_activation_" + name)).string();
}

TEST(FusedActivation, PlansKeepItInThisVersionAndLoadVersionTwo) {
  for (uint32_t version : {kPlanVersion, uint32_t{3}, uint32_t{2}}) {
    for (const Case& c : cases()) {
      SCOPED_TRACE(std::string(c.op) + " version " + std::to_string(version));
      auto g = producer_then(c, true);
      PassContext ctx;
      ASSERT_TRUE(ActivationFusionPass().run(*g, ctx));
      const std::string path = temp_file("plan");
      write_plan(path, *g, CompileOptions{}, {}, version);
      const LoadedPlan plan = read_plan(path);
      const Node& n = producer_of(*plan.graph);
      EXPECT_EQ(n.activation, c.expected);
      for (const auto& [key, value] : n.attributes) EXPECT_NE(key[0], '_') << key;
      std::filesystem::remove(path);
    }
  }
}

TEST(FusedActivation, CorruptKindInAPlanIsAClearError) {
  auto g = producer_then(cases()[0], true);
  PassContext ctx;
  ASSERT_TRUE(ActivationFusionPass().run(*g, ctx));
  g->nodes()[0]->activation.kind = static_cast<ActivationKind>(42);
  const std::string path = temp_file("corrupt.plan");
  write_plan(path, *g, CompileOptions{});
  try {
    read_plan(path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidModel);
    EXPECT_NE(std::string(e.what()).find("unknown fused activation"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  std::filesystem::remove(path);
}

// An ONNX file once could set lowp's internal `_activation` on a Conv (and it was applied).
TEST(FusedActivation, OnnxFilesCannotCarryInternalAttributes) {
  for (const char* key : {"_activation", "_out_dtype"}) {
    SCOPED_TRACE(key);
    onnx::ModelProto m = small_conv_model();
    auto* conv = m.mutable_graph()->mutable_node(0);
    auto* a = conv->add_attribute();
    a->set_name(key);
    a->set_type(onnx::AttributeProto_AttributeType_STRING);
    a->set_s("Relu");
    try {
      onnx_frontend::import_model(m, "model.onnx", ".");
      FAIL() << "expected an error";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidModel);
      EXPECT_NE(std::string(e.what()).find("conv"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
    }
  }
}

}  // namespace

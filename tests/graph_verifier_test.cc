// The graph verifier: well-formed graphs (hand-built, and ResNet-18 after every pass at every
// precision) pass; each kind of broken graph fails with an error naming the stage and the node or
// value; a pass that breaks the IR is named by the pipeline.
#include "lowp/graph_verifier.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "engine/pass_pipeline.h"
#include "frontends/onnx/onnx_importer.h"
#include "lowp/error.h"
#include "lowp/lowp.h"
#include "lowp/shape_propagation.h"
#include "tests/test_util.h"
#include "tools/io/calibration_sources.h"

namespace lowp {
namespace {

using testing::random_tensor;

// x[N,2,4,4] -> Conv(3 out) -> c -> Relu -> y, shapes propagated.
struct SmallGraph {
  std::unique_ptr<Graph> g = std::make_unique<Graph>();
  Value *x, *w, *b, *c, *y;
  Node *conv, *relu;
  SmallGraph() {
    g->name = "small";
    x = g->add_value("x", DataType::kF32,
                     Shape({Dim{-1, "N"}, Dim{2, ""}, Dim{4, ""}, Dim{4, ""}}));
    g->inputs.push_back(x);
    w = g->add_constant("w", random_tensor({3, 2, 3, 3}, 1));
    b = g->add_constant("b", random_tensor({3}, 2));
    c = g->add_value("c");
    y = g->add_value("y");
    conv = g->add_node("Conv", "conv", {x, w, b}, {c});
    conv->attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
    relu = g->add_node("Relu", "relu", {c}, {y});
    g->outputs.push_back(y);
    propagate_shapes(*g);
  }
};

// Expects verify_graph to fail with a message holding every one of `parts`.
void expect_rejected(const Graph& g, const std::vector<std::string>& parts) {
  try {
    verify_graph(g, "test stage");
    ADD_FAILURE() << "accepted a broken graph";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInternal);
    const std::string what = e.what();
    EXPECT_NE(what.find("test stage"), std::string::npos) << what;
    for (const std::string& p : parts) EXPECT_NE(what.find(p), std::string::npos) << what;
  }
}

TEST(GraphVerifier, AcceptsAWellFormedGraph) {
  SmallGraph s;
  EXPECT_NO_THROW(verify_graph(*s.g, "test stage"));
}

TEST(GraphVerifier, DuplicateValueNames) {
  SmallGraph s;
  s.c->name = "y";
  expect_rejected(*s.g, {"two values are named 'y'"});
}

TEST(GraphVerifier, ConsumerListsMustMatchInputs) {
  SmallGraph s;
  s.c->consumers.clear();
  expect_rejected(*s.g, {"node 'relu'", "value 'c'", "does not list it"});
  SmallGraph t;
  t.x->consumers.push_back(t.relu);
  expect_rejected(*t.g, {"value 'x'", "node 'relu'", "does not read it"});
}

TEST(GraphVerifier, NodesInTopologicalOrder) {
  SmallGraph s;
  // relu reads a value that a node added after it produces.
  Value* late = s.g->add_value("late", DataType::kF32, s.c->shape);
  s.g->add_node("Relu", "late_relu", {s.c}, {late});
  s.relu->inputs[0] = late;
  late->consumers.push_back(s.relu);
  std::erase(s.c->consumers, s.relu);
  expect_rejected(*s.g, {"node 'relu'", "value 'late'", "before its producer node 'late_relu'"});
}

TEST(GraphVerifier, ValuesMustBeProduced) {
  SmallGraph s;
  Value* early = s.g->add_value("early", DataType::kF32, s.y->shape);
  s.g->add_node("Relu", "reader", {early}, {s.g->add_value("late")});
  expect_rejected(*s.g, {"node 'reader'", "value 'early'", "which nothing produces"});
}

TEST(GraphVerifier, ProducerMustListItsOutput) {
  SmallGraph s;
  s.c->producer = s.relu;
  expect_rejected(*s.g, {"value 'c'", "does not list it as an output"});
}

TEST(GraphVerifier, GraphOutputMustBeProduced) {
  SmallGraph s;
  s.g->outputs.push_back(s.g->add_value("orphan", DataType::kF32));
  expect_rejected(*s.g, {"graph output value 'orphan' is never produced"});
}

TEST(GraphVerifier, GraphOutputListedOnce) {
  SmallGraph s;
  s.g->outputs.push_back(s.y);
  expect_rejected(*s.g, {"graph output value 'y' is listed twice"});
}

TEST(GraphVerifier, ConstantMustAgreeWithItsTensor) {
  SmallGraph s;
  s.w->dtype = DataType::kF16;
  expect_rejected(*s.g, {"value 'w'", "dtype f16 but its tensor is f32"});
}

TEST(GraphVerifier, TypesMustAgreeWithTheSchema) {
  SmallGraph s;
  s.c->dtype = DataType::kF16;
  expect_rejected(*s.g, {"value 'c'", "node 'conv' (Conv)", "its schema infers f32"});
  SmallGraph t;
  t.c->shape = Shape::from_dims({1, 3, 5, 5});
  expect_rejected(*t.g, {"value 'c'", "node 'conv' (Conv)", "shape [1x3x5x5]"});
  SmallGraph u;
  u.conv->inputs[1] = u.g->add_constant("w_bad", random_tensor({3, 5, 3, 3}, 3));
  u.w->consumers.clear();
  u.conv->inputs[1]->consumers.push_back(u.conv);
  expect_rejected(*u.g, {"shape inference fails", "node 'conv'"});
}

TEST(GraphVerifier, QuantParamsMustFitTheirValue) {
  auto quantized = [](std::function<void(QuantParams&, Value&)> edit,
                      const std::vector<std::string>& parts) {
    SmallGraph s;
    Tensor w8(DataType::kS8, {3, 2, 3, 3});
    Value* w = s.g->add_constant("w8", std::move(w8));
    QuantParams q;
    q.scales = {0.1f, 0.2f, 0.3f};
    q.zero_points = {0, 0, 0};
    q.axis = 0;
    q.storage = DataType::kS8;
    edit(q, *w);
    w->quant = q;
    expect_rejected(*s.g, parts);
  };
  quantized([](QuantParams& q, Value&) { q.storage = DataType::kU8; },
            {"value 'w8'", "store u8 in a s8 value"});
  quantized([](QuantParams& q, Value&) { q.scales.pop_back(), q.zero_points.pop_back(); },
            {"value 'w8'", "2 scales for 3 channels"});
  quantized([](QuantParams& q, Value&) { q.zero_points.pop_back(); },
            {"3 scales and 2 zero points"});
  quantized([](QuantParams& q, Value&) { q.scales[1] = -1.f; }, {"the scale -1"});
  quantized([](QuantParams& q, Value&) { q.zero_points[2] = 200; }, {"zero point 200 outside s8"});
  quantized([](QuantParams& q, Value&) { q.axis = 7; }, {"axis 7 of a rank-4 value"});
  quantized([](QuantParams& q, Value&) { q.axis = -1; }, {"per tensor with several scales"});
}

// A pass that corrupts the graph: the pipeline's verification names it.
class BreakingPass : public Pass {
 public:
  const char* name() const override { return "breaking-pass"; }
  bool run(Graph& graph, PassContext&) const override {
    graph.nodes().back()->inputs[0]->consumers.clear();
    return false;
  }
};

TEST(GraphVerifier, PipelineNamesThePassThatBrokeTheGraph) {
  SmallGraph s;
  PassContext ctx;
  ctx.verify = true;
  try {
    run_one_pass(BreakingPass(), *s.g, ctx);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("after pass 'breaking-pass'"), std::string::npos)
        << e.what();
  }
  SmallGraph t;
  PassContext quiet;  // verification off: the pass runs unchecked
  EXPECT_NO_THROW(run_one_pass(BreakingPass(), *t.g, quiet));
}

// ResNet-18 (Fashion) verified after import and every pass, in fp32, fp16, bf16 and int8; the
// observer sees every stage.
TEST(GraphVerifier, ResNetStaysWellFormedThroughEveryPass) {
  const std::string model = testing::source_dir() + "/models/resnet18_fashion.onnx";
  for (Precision p : {Precision::kFp32, Precision::kFp16, Precision::kBf16, Precision::kInt8}) {
    CompileOptions options;
    options.precision = p;
    options.verify = true;
    options.keep_io_types = true;
    std::vector<std::string> stages;
    options.after_each_pass = [&](const std::string& stage, const Graph&) {
      stages.push_back(stage);
    };
    if (p == Precision::kInt8) {
      options.calibration.source =
          io::make_calibration_source("random", "random", 2, 2, std::nullopt, {-1, 3, 64, 64});
    }
    try {
      Engine::compile_onnx(model, options);
    } catch (const Error& e) {
      // bf16 on a CPU without AVX512-BF16 is refused by the backend, after the passes ran.
      ASSERT_EQ(p, Precision::kBf16) << e.what();
      EXPECT_EQ(e.code(), ErrorCode::kUnsupported) << e.what();
    }
    ASSERT_GE(stages.size(), 10u);
    EXPECT_EQ(stages.front(), "import");
    if (p == Precision::kInt8) {
      // Quantization, then its refinement on the int8 graph, each verified.
      ASSERT_GE(stages.size(), 2u);
      EXPECT_EQ(stages[stages.size() - 2], "int8-quantization");
      EXPECT_EQ(stages.back(), "bias-correction");
    } else if (p == Precision::kFp16) {
      EXPECT_EQ(stages.back(), "fp16-casting");
    }
  }
}

}  // namespace
}  // namespace lowp

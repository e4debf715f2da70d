// The oneDNN CPU backend against the reference executor, on small hand-built graphs.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "lowp/backend.h"
#include "lowp/error.h"
#include "lowp/graph.h"
#include "reference/reference_executor.h"
#include "tests/test_util.h"

namespace lowp {
namespace {

using testing::random_tensor;

Shape batched(Dims dims) {
  std::vector<Dim> out;
  for (size_t i = 0; i < dims.size(); ++i) {
    out.push_back(i == 0 ? Dim{-1, "N"} : Dim{dims[i], ""});
  }
  return Shape(out);
}

class GraphMaker {
 public:
  std::shared_ptr<Graph> g = std::make_shared<Graph>();
  uint32_t seed = 100;

  Value* input(const std::string& name, Dims dims, bool symbolic_batch = true) {
    Value* v =
        g->add_value(name, DataType::kF32, symbolic_batch ? batched(dims) : Shape::from_dims(dims));
    g->inputs.push_back(v);
    return v;
  }
  Value* constant(const std::string& name, Dims dims, float lo = -0.5f, float hi = 0.5f) {
    return g->add_constant(name, random_tensor(dims, seed++, lo, hi));
  }
  Value* ints(const std::string& name, std::vector<int64_t> values) {
    Tensor t(DataType::kS64, {static_cast<int64_t>(values.size())});
    for (size_t i = 0; i < values.size(); ++i) t.data<int64_t>()[i] = values[i];
    return g->add_constant(name, std::move(t));
  }
  Node* node(const std::string& op, const std::string& name, std::vector<Value*> in,
             size_t outputs = 1) {
    std::vector<Value*> out;
    for (size_t i = 0; i < outputs; ++i) {
      out.push_back(g->add_value(name + "_out" + std::to_string(i), DataType::kF32));
    }
    return g->add_node(op, name, std::move(in), std::move(out));
  }
  Value* op(const std::string& op_type, const std::string& name, std::vector<Value*> in,
            std::map<std::string, Attribute> attrs = {}, FusedActivation activation = {}) {
    Node* n = node(op_type, name, std::move(in));
    n->attributes = std::move(attrs);
    n->activation = activation;
    return n->outputs[0];
  }
  void output(Value* v) { g->outputs.push_back(v); }
};

FusedActivation relu() { return FusedActivation::of(ActivationKind::kRelu); }

std::vector<const Tensor*> pointers(const std::vector<Tensor>& tensors) {
  std::vector<const Tensor*> out;
  for (const Tensor& t : tensors) out.push_back(&t);
  return out;
}

// Runs `model` in `context` and returns the outputs, shaped like `like`.
std::vector<Tensor> run_model(const CompiledModel& model, ExecutionContext& context,
                              const std::vector<Tensor>& inputs, const std::vector<Tensor>& like) {
  std::vector<Tensor> outputs;
  for (const Tensor& t : like) outputs.emplace_back(t.dtype(), t.dims());
  std::vector<Tensor*> out_ptrs;
  for (Tensor& t : outputs) out_ptrs.push_back(&t);
  model.run(context, pointers(inputs), out_ptrs);
  return outputs;
}

void expect_close(const std::vector<Tensor>& got, const std::vector<Tensor>& want,
                  const std::string& what) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    std::string report;
    EXPECT_TRUE(testing::all_close(got[i], want[i], 1e-4f, 1e-4f, &report))
        << what << " output " << i << ": " << report;
  }
}

// Compiles `graph` and checks it against the reference for each input set; returns describe().
std::vector<std::string> check(const std::shared_ptr<Graph>& graph,
                               const std::vector<std::vector<Tensor>>& input_sets) {
  auto model = compile_for_cpu(graph, CompileOptions{});
  auto context = model->create_context();
  for (size_t s = 0; s < input_sets.size(); ++s) {
    std::vector<Tensor> want = reference::run_graph(*graph, input_sets[s]);
    // Twice: the second run reuses the cached Program.
    for (int rep = 0; rep < 2; ++rep) {
      std::vector<Tensor> got = run_model(*model, *context, input_sets[s], want);
      expect_close(got, want, "input set " + std::to_string(s));
    }
  }
  return model->describe();
}

bool mentions(const std::vector<std::string>& lines, const std::string& text) {
  for (const std::string& l : lines) {
    if (l.find(text) != std::string::npos) return true;
  }
  return false;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

TEST(CpuBackend, ConvBiasReluFusedTwoBatchSizes) {
  GraphMaker m;
  Value* x = m.input("x", {1, 8, 10, 10});
  Value* y = m.op("Conv", "conv1", {x, m.constant("w", {16, 8, 3, 3}), m.constant("b", {16})},
                  {{"pads", std::vector<int64_t>{1, 1, 1, 1}}}, relu());
  m.output(y);
  auto lines = check(m.g, {{random_tensor({1, 8, 10, 10}, 1)}, {random_tensor({3, 8, 10, 10}, 2)}});
  EXPECT_TRUE(mentions(lines, "conv1 Conv -> onednn convolution fp32")) << joined(lines);
  EXPECT_TRUE(mentions(lines, "+relu")) << joined(lines);
}

TEST(CpuBackend, ConvActivations) {
  const FusedActivation cases[] = {
      FusedActivation::leaky_relu(0.1f),
      FusedActivation::clip(-0.2f, 0.3f),
      FusedActivation::of(ActivationKind::kSigmoid),
      FusedActivation::of(ActivationKind::kTanh),
      FusedActivation::hard_sigmoid(0.3f, 0.4f),
      FusedActivation::of(ActivationKind::kHardSwish),
  };
  for (const FusedActivation& act : cases) {
    GraphMaker m;
    Value* x = m.input("x", {1, 4, 6, 6});
    Value* y =
        m.op("Conv", "conv", {x, m.constant("w", {8, 4, 3, 3}), m.constant("b", {8})}, {}, act);
    m.output(y);
    SCOPED_TRACE(activation_op_type(act.kind));
    check(m.g, {{random_tensor({2, 4, 6, 6}, 3, -2.f, 2.f)}});
  }
}

TEST(CpuBackend, ConvResidualInPlaceAndCopied) {
  GraphMaker m;
  Value* x = m.input("x", {1, 16, 8, 8});
  Value* r = m.op("Conv", "stem", {x, m.constant("w0", {16, 16, 3, 3}), m.constant("b0", {16})},
                  {{"pads", std::vector<int64_t>{1, 1, 1, 1}}}, relu());
  Value* a = m.op("Conv", "c1", {r, m.constant("w1", {16, 16, 3, 3}), m.constant("b1", {16})},
                  {{"pads", std::vector<int64_t>{1, 1, 1, 1}}}, relu());
  // Residual r dies here: in place.
  Value* s = m.op("Conv", "c2", {a, m.constant("w2", {16, 16, 3, 3}), m.constant("b2", {16}), r},
                  {{"pads", std::vector<int64_t>{1, 1, 1, 1}}}, relu());
  // Residual is the graph input: copied.
  Value* t = m.op("Conv", "c3", {s, m.constant("w3", {16, 16, 1, 1}), nullptr, x}, {}, relu());
  m.output(t);
  auto lines = check(m.g, {{random_tensor({1, 16, 8, 8}, 4)}, {random_tensor({2, 16, 8, 8}, 5)}});
  EXPECT_TRUE(mentions(lines, "c2 Conv -> onednn convolution fp32 nhwc +sum(in-place) +relu"))
      << joined(lines);
  EXPECT_TRUE(mentions(lines, "c3 Conv -> onednn convolution")) << joined(lines);
}

TEST(CpuBackend, ConvGroupsStridesPadsDilations) {
  {
    GraphMaker m;
    Value* x = m.input("x", {1, 8, 13, 11});
    m.output(m.op("Conv", "grouped", {x, m.constant("w", {6, 4, 3, 3}), m.constant("b", {6})},
                  {{"group", int64_t{2}},
                   {"strides", std::vector<int64_t>{2, 1}},
                   {"pads", std::vector<int64_t>{0, 1, 2, 0}},
                   {"dilations", std::vector<int64_t>{2, 1}}}));
    check(m.g, {{random_tensor({2, 8, 13, 11}, 6)}});
  }
  {
    GraphMaker m;
    Value* x = m.input("x", {1, 32, 9, 9});
    m.output(m.op("Conv", "depthwise", {x, m.constant("w", {32, 1, 3, 3})},
                  {{"group", int64_t{32}},
                   {"strides", std::vector<int64_t>{2, 2}},
                   {"auto_pad", std::string("SAME_UPPER")}}));
    check(m.g, {{random_tensor({1, 32, 9, 9}, 7)}});
  }
  {
    GraphMaker m;  // stem-like: 3 input channels, 7x7 stride 2
    Value* x = m.input("x", {1, 3, 32, 32});
    m.output(m.op(
        "Conv", "stem", {x, m.constant("w", {16, 3, 7, 7}), m.constant("b", {16})},
        {{"strides", std::vector<int64_t>{2, 2}}, {"pads", std::vector<int64_t>{3, 3, 3, 3}}}));
    check(m.g, {{random_tensor({2, 3, 32, 32}, 8)}});
  }
}

TEST(CpuBackend, Pools) {
  GraphMaker m;
  Value* x = m.input("x", {1, 16, 11, 11});
  Value* c = m.op("Conv", "conv", {x, m.constant("w", {16, 16, 1, 1})});
  m.output(m.op("MaxPool", "max", {c},
                {{"kernel_shape", std::vector<int64_t>{3, 3}},
                 {"strides", std::vector<int64_t>{2, 2}},
                 {"pads", std::vector<int64_t>{1, 1, 1, 1}}}));
  m.output(m.op("MaxPool", "max_ceil", {c},
                {{"kernel_shape", std::vector<int64_t>{2, 2}},
                 {"strides", std::vector<int64_t>{2, 2}},
                 {"ceil_mode", int64_t{1}}}));
  m.output(m.op("AveragePool", "avg", {c},
                {{"kernel_shape", std::vector<int64_t>{3, 3}},
                 {"strides", std::vector<int64_t>{2, 2}},
                 {"pads", std::vector<int64_t>{1, 1, 1, 1}}}));
  m.output(m.op("AveragePool", "avg_incl", {c},
                {{"kernel_shape", std::vector<int64_t>{3, 3}},
                 {"strides", std::vector<int64_t>{2, 2}},
                 {"pads", std::vector<int64_t>{1, 1, 1, 1}},
                 {"count_include_pad", int64_t{1}}}));
  m.output(m.op("GlobalAveragePool", "gap", {c}));
  m.output(m.op("GlobalMaxPool", "gmp", {x}));
  auto lines = check(m.g, {{random_tensor({2, 16, 11, 11}, 9)}});
  EXPECT_TRUE(mentions(lines, "max MaxPool -> onednn pooling fp32 nhwc")) << joined(lines);
  EXPECT_TRUE(mentions(lines, "gap GlobalAveragePool -> onednn global pooling")) << joined(lines);
}

TEST(CpuBackend, GemmAndMatMul) {
  GraphMaker m;
  Value* x = m.input("x", {1, 12});
  m.output(m.op("Gemm", "gemm_tb", {x, m.constant("b1", {7, 12}), m.constant("c1", {7})},
                {{"transB", int64_t{1}}, {"alpha", 0.5f}, {"beta", 2.f}}, relu()));
  m.output(m.op("Gemm", "gemm", {x, m.constant("b2", {12, 5}), m.constant("c2", {1, 5})}));
  m.output(m.op("MatMul", "matmul", {x, m.constant("b3", {12, 3})}));
  m.output(m.op("Gemm", "gemm_ta", {m.op("Transpose", "tr", {x}), m.constant("b4", {12, 4})},
                {{"transA", int64_t{1}}}));
  auto lines = check(m.g, {{random_tensor({1, 12}, 10)}, {random_tensor({4, 12}, 11)}});
  EXPECT_TRUE(mentions(lines, "gemm_tb Gemm -> onednn inner_product")) << joined(lines);
  EXPECT_TRUE(mentions(lines, "gemm_ta Gemm -> fallback reference")) << joined(lines);

  GraphMaker m3;  // 3-D MatMul with constant B
  Value* a = m3.input("a", {2, 5, 6});
  m3.output(m3.op("MatMul", "mm3", {a, m3.constant("b", {6, 4})}));
  check(m3.g, {{random_tensor({2, 5, 6}, 12)}});
}

TEST(CpuBackend, BinaryBroadcasting) {
  GraphMaker m;
  Value* x = m.input("x", {2, 16, 4, 5});
  Value* c = m.op("Conv", "conv", {x, m.constant("w", {16, 16, 1, 1})});  // blocked
  m.output(m.op("Add", "add_bias", {c, m.constant("bias", {16, 1, 1})}));
  m.output(m.op("Mul", "mul_scalar", {m.constant("s", {1}), x}));
  m.output(m.op("Sub", "sub_row", {x, m.constant("row", {5})}));
  m.output(m.op("Div", "div_bcast_first", {m.constant("d", {4, 5}, 1.f, 2.f), x}));
  m.output(m.op("Add", "add_same", {c, x}));
  m.output(m.op("Add", "add_both", {m.constant("p", {2, 1, 4, 1}), m.constant("q", {16, 1, 5})}));
  auto lines = check(m.g, {{random_tensor({2, 16, 4, 5}, 13)}});
  EXPECT_TRUE(mentions(lines, "add_bias Add -> onednn binary")) << joined(lines);
}

TEST(CpuBackend, SoftmaxEltwiseBatchNormRanks) {
  GraphMaker m;
  Value* x3 = m.input("x3", {2, 3, 7});
  m.output(m.op("Softmax", "sm", {x3}, {{"axis", int64_t{1}}}));
  m.output(m.op("Softmax", "sm2d", {x3}, {{"axis", int64_t{1}}, {"_coerce_2d", int64_t{1}}}));
  m.output(m.op("Relu", "relu3", {x3}));
  m.output(m.op("LeakyRelu", "leaky", {x3}, {{"alpha", 0.2f}}));
  m.output(
      m.op("Clip", "clip", {x3, m.g->add_constant("lo", Tensor(DataType::kF32, {})), nullptr}));
  Value* x5 = m.input("x5", {1, 4, 3, 2, 2});
  m.output(m.op("Add", "add5", {x5, m.constant("c5", {4, 1, 1, 1})}));
  m.output(m.op("BatchNormalization", "bn",
                {x5, m.constant("sc", {4}), m.constant("sh", {4}), m.constant("mu", {4}),
                 m.constant("var", {4}, 0.5f, 1.5f)}));
  Value* x1 = m.input("x1", {6}, false);
  m.output(m.op("Sigmoid", "sig1", {x1}));
  check(m.g, {{random_tensor({2, 3, 7}, 14, -3.f, 3.f), random_tensor({2, 4, 3, 2, 2}, 15),
               random_tensor({6}, 16)}});
}

// A ResNet-like tail: conv -> maxpool -> conv -> global pool -> flatten -> gemm.
std::shared_ptr<Graph> small_convnet() {
  GraphMaker m;
  Value* x = m.input("x", {1, 3, 24, 24});
  Value* c1 =
      m.op("Conv", "conv1", {x, m.constant("w1", {16, 3, 3, 3}), m.constant("b1", {16})},
           {{"pads", std::vector<int64_t>{1, 1, 1, 1}}, {"strides", std::vector<int64_t>{2, 2}}},
           relu());
  Value* p = m.op("MaxPool", "pool", {c1},
                  {{"kernel_shape", std::vector<int64_t>{3, 3}},
                   {"strides", std::vector<int64_t>{2, 2}},
                   {"pads", std::vector<int64_t>{1, 1, 1, 1}}});
  Value* c2 =
      m.op("Conv", "conv2", {p, m.constant("w2", {16, 16, 3, 3}), m.constant("b2", {16}), p},
           {{"pads", std::vector<int64_t>{1, 1, 1, 1}}}, relu());
  Value* g = m.op("GlobalAveragePool", "gap", {c2});
  Value* f = m.op("Flatten", "flatten", {g}, {{"axis", int64_t{1}}});
  m.output(m.op("Gemm", "fc", {f, m.constant("wf", {10, 16}), m.constant("bf", {10})},
                {{"transB", int64_t{1}}}));
  return m.g;
}

TEST(CpuBackend, ConvPoolFlattenGemmChain) {
  auto lines = check(small_convnet(),
                     {{random_tensor({1, 3, 24, 24}, 17)}, {random_tensor({5, 3, 24, 24}, 18)}});
  EXPECT_TRUE(mentions(lines, "flatten Flatten -> alias")) << joined(lines);
}

TEST(CpuBackend, FallbackOpsInTheMiddle) {
  GraphMaker m;
  Value* x = m.input("x", {1, 8, 6, 6});
  Value* c = m.op("Conv", "conv", {x, m.constant("w", {8, 8, 3, 3})},
                  {{"pads", std::vector<int64_t>{1, 1, 1, 1}}});
  // Erf and a Slice with a negative step run on reference kernels (Transpose and positive-step
  // Slices are oneDNN reorders now, transformer_ops_test).
  Value* t = m.op("Erf", "erf", {c});
  Value* c2 = m.op("Conv", "conv2", {t, m.constant("w2", {8, 8, 1, 1})}, {}, relu());
  Value* s = m.op("Slice", "slice",
                  {c2, m.ints("starts", {4}), m.ints("ends", {0}), m.ints("axes", {2}),
                   m.ints("steps", {-1})});
  m.output(m.op("Relu", "relu", {s}));
  m.output(c);  // an intermediate that is also consumed
  auto lines = check(m.g, {{random_tensor({1, 8, 6, 6}, 19)}, {random_tensor({2, 8, 6, 6}, 20)}});
  EXPECT_TRUE(mentions(lines, "erf Erf -> fallback reference")) << joined(lines);
  EXPECT_TRUE(mentions(lines, "slice Slice -> fallback reference")) << joined(lines);
}

TEST(CpuBackend, OutputsThatAreInputsOrConstants) {
  GraphMaker m;
  Value* x = m.input("x", {1, 4});
  Value* k = m.constant("k", {3});
  m.output(x);
  m.output(k);
  Value* r = m.op("Relu", "relu", {x});
  m.output(r);
  m.output(r);
  check(m.g, {{random_tensor({2, 4}, 21)}});
}

TEST(CpuBackend, RuntimeShapeInputs) {
  auto g = std::make_shared<Graph>();
  Value* x = g->add_value("x", DataType::kF32, batched({1, 6}));
  Value* shape = g->add_value("shape", DataType::kS64, Shape::from_dims({2}));
  g->inputs = {x, shape};
  Value* y = g->add_value("y", DataType::kF32);
  g->add_node("Reshape", "reshape", {x, shape}, {y});
  Value* z = g->add_value("z", DataType::kF32);
  g->add_node("Relu", "relu", {y}, {z});
  g->outputs = {z};
  auto shape_of = [](std::vector<int64_t> v) {
    Tensor t(DataType::kS64, {2});
    t.data<int64_t>()[0] = v[0];
    t.data<int64_t>()[1] = v[1];
    return t;
  };
  check(g, {{random_tensor({2, 6}, 22), shape_of({3, 4})},
            {random_tensor({2, 6}, 23), shape_of({4, 3})}});
}

TEST(CpuBackend, UnsupportedOpNamesTheNode) {
  GraphMaker m;
  Value* x = m.input("x", {1, 4});
  m.output(m.op("NoSuchOp", "mystery", {x}));
  auto model = compile_for_cpu(m.g, CompileOptions{});
  auto context = model->create_context();
  Tensor in = random_tensor({1, 4}, 1);
  Tensor out(DataType::kF32, {1, 4});
  try {
    model->run(*context, {&in}, {&out});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("mystery"), std::string::npos) << e.what();
  }
}

TEST(CpuBackend, ConcurrentContexts) {
  std::shared_ptr<Graph> graph = small_convnet();
  CompileOptions options;
  options.threads = 1;
  std::shared_ptr<const CompiledModel> model = compile_for_cpu(graph, options);
  constexpr int kThreads = 4;
  std::vector<std::vector<Tensor>> inputs(kThreads);
  std::vector<std::vector<Tensor>> want(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    inputs[t].push_back(random_tensor({1 + t % 2, 3, 24, 24}, 30 + static_cast<uint32_t>(t)));
    want[t] = reference::run_graph(*graph, inputs[t]);
  }
  std::vector<std::vector<Tensor>> got(kThreads);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        auto context = model->create_context();
        for (int rep = 0; rep < 20; ++rep) {
          got[t] = run_model(*model, *context, inputs[t], want[t]);
          if (testing::max_abs_diff(got[t][0], want[t][0]) > 1e-4f) {
            errors[t] = "mismatch at repetition " + std::to_string(rep);
            return;
          }
        }
      } catch (const std::exception& e) {
        errors[t] = e.what();
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(errors[t], "") << "thread " << t;
    expect_close(got[t], want[t], "thread " + std::to_string(t));
  }
}

}  // namespace
}  // namespace lowp

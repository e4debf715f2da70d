// Differential testing: random valid graphs (branches, concats, residuals, pads, pools, batch
// norms, fusable conv + activation patterns, a dynamic batch, shared inputs, graph outputs taken
// from the middle; and, in the Transformer tests, token MLPs with the opset-13 LayerNorm / GELU /
// MatMul + bias patterns, attention with a plain or windowed mask, rolls, Gathers, zero Pads)
// run through the engine (pass pipeline + CPU backend) and through the reference executor on the
// unoptimised graph. fp32 must match within 1e-5 relative L2; fp16 and bf16 plans
// must not be grossly wrong (below). A fixed seed in CI; LOWP_DIFFERENTIAL_GRAPHS=N runs more by
// hand. Every mismatch found is kept below as a regression seed. It finds the Concat liveness bug
// (Inception-v3's wrong answer) when that fix is reverted.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "backends/cpu/cpu_precision.h"
#include "lowp/lowp.h"
#include "lowp/shape_propagation.h"
#include "reference/reference_executor.h"
#include "tests/test_util.h"
#include "tools/io/calibration_sources.h"

namespace lowp {
namespace {

using testing::random_tensor;

// prefix + n (not prefix + std::to_string(n): a GCC 12 -Wrestrict false positive at -O3).
std::string numbered(const std::string& prefix, uint64_t n) {
  std::string s = prefix;
  s += std::to_string(n);
  return s;
}

constexpr int64_t kSize = 6;  // every activation is [N, C, 6, 6]

// Which steps a random graph is made of: the convolutional ones (the seeds of RegressionSeeds
// name graphs of this kind and must keep building the same graphs), or those plus the transformer
// steps (token MLP with the LayerNorm / GELU decompositions, attention with a windowed mask,
// roll, one-channel Gather, zero Pad).
enum class Steps { kConvolutional, kWithTransformer };

class RandomGraph {
 public:
  explicit RandomGraph(uint32_t seed, Steps steps = Steps::kConvolutional)
      : rng_(seed), seed_(seed), steps_(steps) {}

  std::shared_ptr<Graph> build() {
    g_ = std::make_shared<Graph>();
    g_->name = numbered("random_", seed_);
    const int inputs = pick(1, 2);
    for (int i = 0; i < inputs; ++i) {
      const int64_t c = pick(1, 4);
      Value* x = g_->add_value(numbered("x", static_cast<uint64_t>(i)), DataType::kF32,
                               Shape({Dim{-1, "N"}, Dim{c, ""}, Dim{kSize, ""}, Dim{kSize, ""}}));
      g_->inputs.push_back(x);
      pool_.push_back({x, c});
    }
    const int steps = pick(3, 14);
    for (int s = 0; s < steps; ++s) step();
    // Outputs: the last value, sometimes a middle one, sometimes a classifier head.
    add_output(pool_.back());
    if (pick(0, 2) == 0) add_output(pool_[static_cast<size_t>(pick(0, int(pool_.size()) - 1))]);
    if (pick(0, 2) == 0) head();
    propagate_shapes(*g_);
    return g_;
  }

 private:
  struct Activation {
    Value* value;
    int64_t channels;
  };

  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  const Activation& any() { return pool_[static_cast<size_t>(pick(0, int(pool_.size()) - 1))]; }
  const Activation& recent() {
    const int n = static_cast<int>(pool_.size());
    return pool_[static_cast<size_t>(pick(std::max(0, n - 3), n - 1))];
  }
  std::string name(const std::string& what) { return numbered(what, counter_++); }
  Value* constant(const Dims& dims, float lo, float hi) {
    return g_->add_constant(name("w"), random_tensor(dims, seed_ * 1000u + counter_, lo, hi));
  }
  Value* node(const std::string& op, std::vector<Value*> in,
              std::map<std::string, Attribute> attrs = {}) {
    Value* out = g_->add_value(name(op + "_out"));
    Node* n = g_->add_node(op, name(op), std::move(in), {out});
    n->attributes = std::move(attrs);
    return out;
  }
  void add_output(const Activation& a) {
    for (const Value* o : g_->outputs) {
      if (o == a.value) return;
    }
    if (a.value->producer) g_->outputs.push_back(a.value);
  }

  Value* conv(const Activation& a, int64_t out_c, int64_t k) {
    const float bound = 1.5f / std::sqrt(static_cast<float>(a.channels * k * k));
    return node("Conv",
                {a.value, constant({out_c, a.channels, k, k}, -bound, bound),
                 constant({out_c}, -0.2f, 0.2f)},
                {{"pads", std::vector<int64_t>(4, k / 2)}});
  }
  Value* activation(Value* x) {
    switch (pick(0, 5)) {
      case 0:
        return node("LeakyRelu", {x}, {{"alpha", 0.1f}});
      case 1:
        return node("Clip", {x, constant({}, -1.f, -1.f), constant({}, 6.f, 6.f)});
      case 2:
        return node("Sigmoid", {x});
      case 3:
        return node("Tanh", {x});
      case 4:
        return node("HardSwish", {x});
      default:
        return node("Relu", {x});
    }
  }

  void step() {
    const int kind = pick(0, steps_ == Steps::kConvolutional ? 9 : 14);
    const Activation a = recent();
    Activation made{nullptr, a.channels};
    if (kind >= 10) {
      made = transformer_step(kind, a);
    } else if (kind <= 2) {  // Conv (+ BatchNorm) (+ activation)
      made.channels = pick(1, 6);
      made.value = conv(a, made.channels, pick(0, 1) ? 3 : 1);
      if (pick(0, 2) == 0) {
        const Dims c{made.channels};
        made.value = node("BatchNormalization",
                          {made.value, constant(c, 0.5f, 1.5f), constant(c, -0.3f, 0.3f),
                           constant(c, -0.3f, 0.3f), constant(c, 0.5f, 2.f)},
                          {{"epsilon", 1e-5f}});
      }
      if (pick(0, 3) != 0) made.value = activation(made.value);
    } else if (kind == 3) {  // residual: Conv keeping the channels, + the input, + Relu
      made.value = node("Add", {conv(a, a.channels, 3), a.value});
      if (pick(0, 1)) made.value = node("Relu", {made.value});
    } else if (kind == 4) {  // pooling keeping the spatial size
      const bool max = pick(0, 1);
      made.value = node(max ? "MaxPool" : "AveragePool", {a.value},
                        {{"kernel_shape", std::vector<int64_t>{3, 3}},
                         {"pads", std::vector<int64_t>{1, 1, 1, 1}}});
    } else if (kind == 5) {  // Inception's pool branch: Pad -> AveragePool (no pads) -> Conv
      Value* padded = node("Pad", {a.value, ints({0, 0, 1, 1, 0, 0, 1, 1})});
      Activation pooled{
          node("AveragePool", {padded}, {{"kernel_shape", std::vector<int64_t>{3, 3}}}),
          a.channels};
      made.channels = pick(1, 4);
      made.value = node("Relu", {conv(pooled, made.channels, 1)});
    } else if (kind <= 7) {  // Concat of 2-4 branches along channels (Inception / DenseNet)
      std::vector<Value*> parts;
      made.channels = 0;
      const int branches = pick(2, 4);
      for (int b = 0; b < branches; ++b) {
        const Activation src = pick(0, 2) ? a : any();
        Activation branch = src;
        if (pick(0, 3) != 0) {
          branch.channels = pick(1, 4);
          branch.value = node("Relu", {conv(src, branch.channels, pick(0, 1) ? 3 : 1)});
        }
        parts.push_back(branch.value);
        made.channels += branch.channels;
      }
      made.value = node("Concat", parts, {{"axis", int64_t{1}}});
    } else if (kind == 8) {  // elementwise of two same-shape values
      const Activation b = any();
      Value* other = b.channels == a.channels ? b.value : conv(b, a.channels, 1);
      made.value = node(pick(0, 1) ? "Add" : "Mul", {a.value, other});
    } else {  // a middle value becomes a graph output too
      add_output(a);
      return;
    }
    pool_.push_back(made);
  }

  // [N, C, 6, 6] <-> [N, 36, C] as ViT / Swin exports reshape and transpose.
  Value* to_tokens(const Activation& a) {
    Value* flat = node("Reshape", {a.value, ints({-1, a.channels, kSize * kSize})});
    return node("Transpose", {flat}, {{"perm", std::vector<int64_t>{0, 2, 1}}});
  }
  Value* from_tokens(Value* tokens, int64_t channels) {
    Value* chw = node("Transpose", {tokens}, {{"perm", std::vector<int64_t>{0, 2, 1}}});
    return node("Reshape", {chw, ints({-1, channels, kSize, kSize})});
  }
  Value* scalar(float v) { return constant({}, v, v); }
  // torch.onnx's opset-13 LayerNorm over the last axis, with gamma and beta.
  Value* layer_norm(Value* x, int64_t channels) {
    Value* axes = ints({-1});
    Value* centred = node("Sub", {x, node("ReduceMean", {x, axes})});
    Value* var = node("ReduceMean", {node("Pow", {centred, scalar(2.f)}), axes});
    Value* y = node("Div", {centred, node("Sqrt", {node("Add", {var, scalar(1e-5f)})})});
    y = node("Mul", {y, constant({channels}, 0.5f, 1.5f)});
    return node("Add", {y, constant({channels}, -0.3f, 0.3f)});
  }
  // x * 0.5 * (1 + erf(x / sqrt 2)) in two of the orders exporters emit.
  Value* gelu(Value* x) {
    Value* plus =
        node("Add", {node("Erf", {node("Div", {x, scalar(std::sqrt(2.f))})}), scalar(1.f)});
    if (pick(0, 1)) return node("Mul", {node("Mul", {x, scalar(0.5f)}), plus});
    return node("Mul", {node("Mul", {x, plus}), scalar(0.5f)});
  }
  Value* linear(Value* x, int64_t in, int64_t out) {
    const float bound = 1.5f / std::sqrt(static_cast<float>(in));
    Value* y = node("MatMul", {x, constant({in, out}, -bound, bound)});
    return node("Add", {y, constant({out}, -0.2f, 0.2f)});
  }
  // Scores [N, 36, 36] -> softmax -> times the tokens; the mask either plain [36, 36] or per
  // window as Swin adds it: [N, 4, 9, 36] + [4, 1, 36] (a broadcast between full dims).
  Value* attention(Value* tokens, int64_t channels) {
    const float bound = 1.f / std::sqrt(static_cast<float>(channels));
    Value* q = node("MatMul", {tokens, constant({channels, channels}, -bound, bound)});
    Value* k = node("MatMul", {tokens, constant({channels, channels}, -bound, bound)});
    Value* kt = node("Transpose", {k}, {{"perm", std::vector<int64_t>{0, 2, 1}}});
    Value* scores = node("Mul", {node("MatMul", {q, kt}), scalar(bound)});
    const int64_t t = kSize * kSize;
    if (pick(0, 1)) {
      Value* windows = node("Reshape", {scores, ints({-1, 4, t / 4, t})});
      windows = node("Add", {windows, constant({4, 1, t}, -2.f, 2.f)});
      scores = node("Reshape", {windows, ints({-1, t, t})});
    } else {
      scores = node("Add", {scores, constant({t, t}, -2.f, 2.f)});
    }
    Value* p = node("Softmax", {scores}, {{"axis", int64_t{-1}}});
    return node("MatMul", {p, tokens});
  }
  Activation transformer_step(int kind, const Activation& a) {
    if (kind == 10) {  // token MLP: LayerNorm -> Linear -> GELU (-> Linear), back to [N, C, 6, 6]
      const int64_t hidden = pick(1, 8);
      Value* t = gelu(linear(layer_norm(to_tokens(a), a.channels), a.channels, hidden));
      if (pick(0, 1)) return {from_tokens(t, hidden), hidden};
      return {from_tokens(linear(t, hidden, a.channels), a.channels), a.channels};
    }
    if (kind == 11)
      return {from_tokens(attention(to_tokens(a), a.channels), a.channels), a.channels};
    if (kind == 12) {  // torch.roll along a spatial axis: two Slices and a Concat
      const int64_t axis = pick(2, 3), shift = pick(1, kSize - 1);
      Value* head = node("Slice", {a.value, ints({shift}), ints({kSize}), ints({axis})});
      Value* tail = node("Slice", {a.value, ints({0}), ints({shift}), ints({axis})});
      return {node("Concat", {head, tail}, {{"axis", axis}}), a.channels};
    }
    if (kind == 13) {  // one channel picked by Gather
      return {
          node("Gather", {a.value, ints({pick(0, int(a.channels) - 1)})}, {{"axis", int64_t{1}}}),
          1};
    }
    return {node("Pad", {a.value, ints({0, 0, 0, 0, 0, 0, 0, 0})}), a.channels};  // zero pads
  }

  Value* ints(std::vector<int64_t> values) {
    Tensor t(DataType::kS64, {static_cast<int64_t>(values.size())});
    for (size_t i = 0; i < values.size(); ++i) t.data<int64_t>()[i] = values[i];
    return g_->add_constant(name("ints"), std::move(t));
  }

  void head() {
    const Activation& a = pool_.back();
    Value* pooled = node("GlobalAveragePool", {a.value});
    Value* flat = node("Flatten", {pooled}, {{"axis", int64_t{1}}});
    const float bound = 1.f / std::sqrt(static_cast<float>(a.channels));
    Value* logits =
        node("Gemm", {flat, constant({5, a.channels}, -bound, bound), constant({5}, -0.1f, 0.1f)},
             {{"transB", int64_t{1}}});
    g_->outputs.push_back(logits);
  }

  std::mt19937 rng_;
  uint32_t seed_;
  Steps steps_;
  std::shared_ptr<Graph> g_;
  std::vector<Activation> pool_;
  int counter_ = 0;
};

std::string printed(const Graph& g) {
  std::ostringstream os;
  g.print(os);
  return os.str();
}

// Runs graph `seed` at batch 1 and 2 through the engine in `precision` and compares with the
// reference executor: on the unoptimised fp32 graph, or for int8 on the engine's own quantized
// graph (the int8 lowering against the int8 reference kernels). Returns "" or what differs.
std::string check_seed(uint32_t seed, Precision precision, double tolerance,
                       bool* quantized = nullptr, Steps steps = Steps::kConvolutional) {
  std::shared_ptr<Graph> graph = RandomGraph(seed, steps).build();
  std::unique_ptr<Graph> reference_graph = graph->clone();
  CompileOptions options;
  options.precision = precision;
  options.keep_io_types = true;
  options.verify = true;
  if (precision == Precision::kInt8) {
    if (graph->inputs.size() > 1) return "";  // the random source below feeds one input
    options.calibration.source =
        io::make_calibration_source("random", "random", 4, 2, std::nullopt,
                                    {-1, graph->inputs[0]->shape.dims()[1].size, kSize, kSize});
  }
  std::shared_ptr<const Engine> engine;
  try {
    engine = Engine::compile(graph, options);
  } catch (const Error& e) {
    return std::string("compile failed: ") + e.what();
  }
  if (quantized) {
    *quantized = false;
    for (const auto& v : engine->graph().values()) *quantized = *quantized || v->quant.has_value();
  }
  for (int64_t batch : {1, 2}) {
    std::vector<Tensor> inputs;
    std::vector<TensorBinding> bindings;
    for (size_t i = 0; i < reference_graph->inputs.size(); ++i) {
      const Value* in = reference_graph->inputs[i];
      inputs.push_back(random_tensor({batch, in->shape.dims()[1].size, kSize, kSize},
                                     seed * 7u + static_cast<uint32_t>(i + batch)));
    }
    for (size_t i = 0; i < inputs.size(); ++i) {
      bindings.push_back({engine->inputs()[i].name, inputs[i]});
    }
    const std::vector<Tensor> want = reference::run_graph(
        precision == Precision::kInt8 ? engine->graph() : *reference_graph, inputs);
    const std::vector<Tensor> got = engine->create_session()->run(bindings);
    for (size_t o = 0; o < want.size(); ++o) {
      const double err = testing::relative_l2(got.at(o), want[o]);
      if (!(err <= tolerance)) {
        return "output " + std::to_string(o) + " at batch " + std::to_string(batch) +
               ": relative L2 " + std::to_string(err) + " > " + std::to_string(tolerance);
      }
    }
  }
  return "";
}

int graph_count(int default_count) {
  const char* env = std::getenv("LOWP_DIFFERENTIAL_GRAPHS");
  return env ? std::max(1, std::atoi(env)) : default_count;
}

void run_seeds(const std::vector<uint32_t>& seeds, Precision precision, double tolerance,
               Steps steps = Steps::kConvolutional) {
  int failures = 0;
  for (uint32_t seed : seeds) {
    const std::string what = check_seed(seed, precision, tolerance, nullptr, steps);
    if (what.empty()) continue;
    ADD_FAILURE() << precision_name(precision) << " graph seed " << seed << ": " << what << "\n"
                  << printed(*RandomGraph(seed, steps).build());
    if (++failures >= 3) return;  // enough to debug from
  }
}

std::vector<uint32_t> seed_range(uint32_t first, int count) {
  std::vector<uint32_t> seeds;
  for (int i = 0; i < count; ++i) seeds.push_back(first + static_cast<uint32_t>(i));
  return seeds;
}

TEST(Differential, Fp32MatchesTheReference) {
  run_seeds(seed_range(1, graph_count(1500)), Precision::kFp32, 1e-5);
}

// fp16 and bf16: a gross-error check (wrong memory, a wrong op), not a precision measurement. On
// random graphs an output that is a small difference of large terms (a Relu of a near-zero
// pre-activation) has a long tail of relative error: over 3,000 graphs fp16 reached 0.022 and
// bf16 0.063, while the bugs this looks for give 0.6 to 1.0.
constexpr double kReducedPrecisionTolerance = 0.25;
// Measured: 400 graphs all within 1e-3 (integer arithmetic and the same requantization).
constexpr double kInt8Tolerance = 1e-2;

TEST(Differential, Fp16StaysCloseToTheReference) {
  run_seeds(seed_range(100000, graph_count(200)), Precision::kFp16, kReducedPrecisionTolerance);
}

TEST(Differential, Bf16StaysCloseToTheReference) {
  if (!cpu::cpu_has_bf16()) {
    EXPECT_NE(check_seed(1, Precision::kBf16, 1.0).find("AVX512-BF16"), std::string::npos);
    return;
  }
  run_seeds(seed_range(200000, graph_count(200)), Precision::kBf16, kReducedPrecisionTolerance);
}

// int8: the CPU backend's int8 lowering against the reference executor's int8 kernels on the
// same quantized graph (calibrated on random data). Both requantize the same way, so they differ by
// rounding (a step of one quantum on a few elements).
// Runs the int8 seeds; at least a quarter of the graphs must have had int8 values (so the test
// tests int8).
void run_int8_seeds(const std::vector<uint32_t>& seeds, Steps steps) {
  int quantized_graphs = 0;
  for (uint32_t seed : seeds) {
    bool quantized = false;
    const std::string what = check_seed(seed, Precision::kInt8, kInt8Tolerance, &quantized, steps);
    ASSERT_TRUE(what.empty()) << "int8 graph seed " << seed << ": " << what << "\n"
                              << printed(*RandomGraph(seed, steps).build());
    quantized_graphs += quantized;
  }
  std::printf("%d of %zu graphs had int8 values\n", quantized_graphs, seeds.size());
  EXPECT_GE(quantized_graphs * 4, static_cast<int>(seeds.size()));
}

TEST(Differential, Int8MatchesTheInt8Reference) {
  run_int8_seeds(seed_range(300000, graph_count(200)), Steps::kConvolutional);
}

// Graphs with the transformer steps too: the LayerNorm / GELU / MatMul-bias fusions, batched
// MatMul, Softmax, the windowed-mask broadcast, Transpose / Slice / Gather reorders, Concat along
// a spatial axis, Pad as an alias.
TEST(Differential, TransformerStepsFp32MatchTheReference) {
  run_seeds(seed_range(400000, graph_count(600)), Precision::kFp32, 1e-5, Steps::kWithTransformer);
}

TEST(Differential, TransformerStepsFp16StayCloseToTheReference) {
  run_seeds(seed_range(600000, graph_count(150)), Precision::kFp16, kReducedPrecisionTolerance,
            Steps::kWithTransformer);
}

TEST(Differential, TransformerStepsInt8MatchTheInt8Reference) {
  run_int8_seeds(seed_range(700000, graph_count(150)), Steps::kWithTransformer);
}

TEST(Differential, TransformerStepsBf16StayCloseToTheReference) {
  if (!cpu::cpu_has_bf16()) return;  // Bf16StaysCloseToTheReference checks the refusal
  run_seeds(seed_range(500000, graph_count(150)), Precision::kBf16, kReducedPrecisionTolerance,
            Steps::kWithTransformer);
}

// Seeds that once found a wrong answer. Found so far: the Concat liveness bug this test was
// written against (seeds 3, 7, 9 of Fp32MatchesTheReference fail with that fix reverted), and a
// value listed twice among the graph outputs, whose second copy came back as zeros (now refused
// by the importer, the engine and the verifier; GraphVerifier.GraphOutputListedOnce,
// OnnxImporter.GraphOutputListedTwice, EngineApi.GraphOutputListedTwice).
TEST(Differential, RegressionSeeds) { run_seeds({3, 7, 9}, Precision::kFp32, 1e-5); }

}  // namespace
}  // namespace lowp

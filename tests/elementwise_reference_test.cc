// Schemas and reference kernels of the elementwise and tensor-manipulation ops, and the reference
// executor, on small hand-computed cases.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "lowp/error.h"
#include "lowp/graph.h"
#include "lowp/op_schema.h"
#include "reference/reference_executor.h"
#include "tests/test_util.h"

namespace lowp {
namespace {

template <typename T>
Tensor make(DataType dtype, Dims dims, const std::vector<T>& values) {
  Tensor t(dtype, std::move(dims));
  EXPECT_EQ(static_cast<size_t>(t.numel()), values.size());
  if (!values.empty()) std::memcpy(t.raw(), values.data(), values.size() * sizeof(T));
  return t;
}
Tensor f32(Dims dims, const std::vector<float>& v) { return make(DataType::kF32, dims, v); }
Tensor s32(Dims dims, const std::vector<int32_t>& v) { return make(DataType::kS32, dims, v); }
Tensor s64(Dims dims, const std::vector<int64_t>& v) { return make(DataType::kS64, dims, v); }

template <typename T>
std::vector<T> values_of(const Tensor& t) {
  return {t.data<T>(), t.data<T>() + t.numel()};
}

// Runs one node of `op_type` (outputs named out0..) on `inputs` (nullptr: omitted).
class OneNode {
 public:
  explicit OneNode(const std::string& op_type, size_t outputs = 1) {
    std::vector<Value*> outs;
    for (size_t i = 0; i < outputs; ++i) {
      outs.push_back(graph_.add_value("out" + std::to_string(i)));
    }
    node_ = graph_.add_node(op_type, "n_" + op_type, {}, outs);
  }
  OneNode& attr(const std::string& key, Attribute value) {
    node_->attributes[key] = std::move(value);
    return *this;
  }
  std::vector<Tensor> run(const std::vector<const Tensor*>& inputs) {
    return reference::run_node(*node_, inputs);
  }
  const Node& node() const { return *node_; }

 private:
  Graph graph_;
  Node* node_;
};

TEST(ElementwiseReference, AddBroadcastsBothWays) {
  Tensor a = f32({2, 1, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = f32({4, 1}, {10, 20, 30, 40});
  auto out = OneNode("Add").run({&a, &b});
  ASSERT_EQ(out[0].dims(), (Dims{2, 4, 3}));
  EXPECT_EQ(out[0].data<float>()[0], 11.f);
  EXPECT_EQ(out[0].data<float>()[5], 23.f);   // [0,1,2]: a[0,0,2] + b[1]
  EXPECT_EQ(out[0].data<float>()[23], 46.f);  // [1,3,2]: a[1,0,2] + b[3]
}

TEST(ElementwiseReference, SubMulScalarAndSumVariadic) {
  Tensor a = f32({2, 2}, {1, 2, 3, 4});
  Tensor s = f32({}, {2});
  EXPECT_EQ(values_of<float>(OneNode("Sub").run({&a, &s})[0]), (std::vector<float>{-1, 0, 1, 2}));
  EXPECT_EQ(values_of<float>(OneNode("Mul").run({&s, &a})[0]), (std::vector<float>{2, 4, 6, 8}));
  Tensor row = f32({2}, {10, 20});
  auto sum = OneNode("Sum").run({&a, &s, &row})[0];
  EXPECT_EQ(values_of<float>(sum), (std::vector<float>{13, 24, 15, 26}));
}

TEST(ElementwiseReference, IntegerDivTruncatesTowardZero) {
  Tensor a = s32({4}, {7, -7, 7, -7});
  Tensor b = s32({4}, {2, 2, -2, -2});
  EXPECT_EQ(values_of<int32_t>(OneNode("Div").run({&a, &b})[0]),
            (std::vector<int32_t>{3, -3, -3, 3}));
  Tensor c = s64({2}, {9, -9});
  Tensor d = s64({}, {4});
  EXPECT_EQ(values_of<int64_t>(OneNode("Div").run({&c, &d})[0]), (std::vector<int64_t>{2, -2}));
  Tensor zero = s32({}, {0});
  EXPECT_THROW(OneNode("Div").run({&a, &zero}), Error);
}

TEST(ElementwiseReference, MismatchedBroadcastNamesNode) {
  Tensor a = f32({2, 3}, std::vector<float>(6, 1.f));
  Tensor b = f32({2}, {1, 2});
  try {
    OneNode("Add").run({&a, &b});
    FAIL() << "expected lowp::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("n_Add"), std::string::npos) << e.what();
  }
}

TEST(ElementwiseReference, Activations) {
  Tensor x = f32({5}, {-6, -1, 0, 1, 6});
  EXPECT_EQ(values_of<float>(OneNode("Relu").run({&x})[0]), (std::vector<float>{0, 0, 0, 1, 6}));
  auto leaky = values_of<float>(OneNode("LeakyRelu").run({&x})[0]);
  EXPECT_FLOAT_EQ(leaky[1], -0.01f);
  auto hs = values_of<float>(OneNode("HardSigmoid").run({&x})[0]);
  EXPECT_FLOAT_EQ(hs[1], 0.3f);
  EXPECT_FLOAT_EQ(hs[4], 1.f);
  auto hw = values_of<float>(OneNode("HardSwish").run({&x})[0]);
  EXPECT_FLOAT_EQ(hw[0], 0.f);
  EXPECT_FLOAT_EQ(hw[3], 1.f * (1.f / 6.f + 0.5f));
  EXPECT_FLOAT_EQ(hw[4], 6.f);
  auto sig = values_of<float>(OneNode("Sigmoid").run({&x})[0]);
  EXPECT_FLOAT_EQ(sig[2], 0.5f);
  auto th = values_of<float>(OneNode("Tanh").run({&x})[0]);
  EXPECT_NEAR(th[3], 0.7615942f, 1e-6f);
}

TEST(ElementwiseReference, ClipWithOptionalBounds) {
  Tensor x = f32({4}, {-3, -1, 1, 3});
  Tensor lo = f32({}, {-2});
  Tensor hi = f32({}, {2});
  EXPECT_EQ(values_of<float>(OneNode("Clip").run({&x, &lo, &hi})[0]),
            (std::vector<float>{-2, -1, 1, 2}));
  EXPECT_EQ(values_of<float>(OneNode("Clip").run({&x, nullptr, &hi})[0]),
            (std::vector<float>{-3, -1, 1, 2}));
  Tensor xi = s64({3}, {-5, 0, 5});
  Tensor loi = s64({}, {-1});
  EXPECT_EQ(values_of<int64_t>(OneNode("Clip").run({&xi, &loi})[0]),
            (std::vector<int64_t>{-1, 0, 5}));
}

// Integer Pow whose real result has no int64 (0 to a negative power is inf, 10^30 is past int64):
// saturates instead of a float-to-integer cast that is undefined behaviour (found by the ONNX
// fuzzer on ONNX's test_pow_types_float model, fuzz/regressions/onnx_model/).
TEST(ElementwiseReference, IntegerPowBeyondInt64Saturates) {
  Tensor base = s64({3}, {0, 10, -10});
  Tensor exponent = f32({3}, {-1.f, 30.f, 31.f});
  EXPECT_EQ(values_of<int64_t>(OneNode("Pow").run({&base, &exponent})[0]),
            (std::vector<int64_t>{INT64_MAX, INT64_MAX, INT64_MIN}));
}

TEST(ElementwiseReference, F16ComputesThroughF32) {
  Tensor a = f32({3}, {1.5f, -2.f, 0.25f}).cast(DataType::kF16);
  Tensor b = f32({1}, {2.f}).cast(DataType::kF16);
  auto out = OneNode("Mul").run({&a, &b})[0];
  ASSERT_EQ(out.dtype(), DataType::kF16);
  EXPECT_EQ(out.to_float(), (std::vector<float>{3.f, -4.f, 0.5f}));
}

TEST(TensorReference, ReshapeZeroCopiesAndMinusOneInfers) {
  Tensor x = f32({2, 3, 4}, std::vector<float>(24, 1.f));
  Tensor shape = s64({3}, {0, -1, 2});
  auto out = OneNode("Reshape").run({&x, &shape})[0];
  EXPECT_EQ(out.dims(), (Dims{2, 6, 2}));
  Tensor zero_shape = s64({2}, {0, 4});
  Tensor empty = f32({0, 4}, {});
  OneNode allow("Reshape");
  allow.attr("allowzero", int64_t{1});
  EXPECT_EQ(allow.run({&empty, &zero_shape})[0].dims(), (Dims{0, 4}));
}

TEST(TensorReference, BadReshapeNamesNode) {
  Tensor x = f32({2, 3}, std::vector<float>(6, 0.f));
  Tensor shape = s64({2}, {4, -1});
  try {
    OneNode("Reshape").run({&x, &shape});
    FAIL() << "expected lowp::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidModel);
    EXPECT_NE(std::string(e.what()).find("'n_Reshape'"), std::string::npos) << e.what();
  }
}

TEST(TensorReference, ReshapeShapeMustBeKnownForInference) {
  Graph g;
  Node* n = g.add_node("Reshape", "r", {}, {g.add_value("y")});
  std::vector<TensorInfo> in(2);
  in[0] = {DataType::kF32, {2, 3}, nullptr, true};
  in[1] = {DataType::kS64, {2}, nullptr, true};
  try {
    infer_node(*n, in);
    FAIL() << "expected lowp::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("'r'"), std::string::npos) << e.what();
  }
}

TEST(TensorReference, SliceNegativeStepsAndClamping) {
  Tensor x = f32({2, 5}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  Tensor starts = s64({1}, {-1});
  Tensor ends = s64({1}, {INT64_MIN});
  Tensor axes = s64({1}, {1});
  Tensor steps = s64({1}, {-2});
  auto out = OneNode("Slice").run({&x, &starts, &ends, &axes, &steps})[0];
  EXPECT_EQ(out.dims(), (Dims{2, 3}));
  EXPECT_EQ(values_of<float>(out), (std::vector<float>{4, 2, 0, 9, 7, 5}));
  Tensor s2 = s32({2}, {1, 1});
  Tensor e2 = s32({2}, {1000, 3});
  auto out2 = OneNode("Slice").run({&x, &s2, &e2})[0];
  EXPECT_EQ(out2.dims(), (Dims{1, 2}));
  EXPECT_EQ(values_of<float>(out2), (std::vector<float>{6, 7}));
}

TEST(TensorReference, GatherNegativeAndScalarIndices) {
  Tensor x = f32({3, 2}, {0, 1, 2, 3, 4, 5});
  Tensor idx = s64({2}, {-1, 0});
  auto rows = OneNode("Gather").run({&x, &idx})[0];
  EXPECT_EQ(rows.dims(), (Dims{2, 2}));
  EXPECT_EQ(values_of<float>(rows), (std::vector<float>{4, 5, 0, 1}));
  Tensor scalar = s32({}, {1});
  OneNode cols("Gather");
  cols.attr("axis", int64_t{-1});
  auto col = cols.run({&x, &scalar})[0];
  EXPECT_EQ(col.dims(), (Dims{3}));
  EXPECT_EQ(values_of<float>(col), (std::vector<float>{1, 3, 5}));
  Tensor bad = s64({1}, {3});
  EXPECT_THROW(OneNode("Gather").run({&x, &bad}), Error);
}

TEST(TensorReference, CastRoundTripsThroughF16) {
  Tensor x = f32({4}, {1.f, -2.5f, 65504.f, 0.1f});
  OneNode to_half("Cast");
  to_half.attr("to", static_cast<int64_t>(DataType::kF16));
  Tensor h = to_half.run({&x})[0];
  ASSERT_EQ(h.dtype(), DataType::kF16);
  OneNode to_float("Cast");
  to_float.attr("to", static_cast<int64_t>(DataType::kF32));
  Tensor back = to_float.run({&h})[0];
  EXPECT_TRUE(testing::all_close(back, x, 1e-3f, 0.f));
  OneNode to_int("Cast");
  to_int.attr("to", static_cast<int64_t>(DataType::kS32));
  Tensor t = f32({3}, {1.9f, -1.9f, 0.f});
  EXPECT_EQ(values_of<int32_t>(to_int.run({&t})[0]), (std::vector<int32_t>{1, -1, 0}));
  OneNode to_bool("Cast");
  to_bool.attr("to", static_cast<int64_t>(DataType::kBool));
  EXPECT_EQ(values_of<uint8_t>(to_bool.run({&t})[0]), (std::vector<uint8_t>{1, 1, 0}));
}

TEST(TensorReference, SplitVariants) {
  Tensor x = f32({2, 5}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  Tensor sizes = s64({2}, {2, 3});
  OneNode by_sizes("Split", 2);
  by_sizes.attr("axis", int64_t{1});
  auto parts = by_sizes.run({&x, &sizes});
  EXPECT_EQ(values_of<float>(parts[0]), (std::vector<float>{0, 1, 5, 6}));
  EXPECT_EQ(values_of<float>(parts[1]), (std::vector<float>{2, 3, 4, 7, 8, 9}));

  OneNode uneven("Split", 3);
  uneven.attr("axis", int64_t{1}).attr("num_outputs", int64_t{3});
  auto three = uneven.run({&x});
  EXPECT_EQ(three[0].dims(), (Dims{2, 2}));
  EXPECT_EQ(three[2].dims(), (Dims{2, 1}));
  EXPECT_EQ(values_of<float>(three[2]), (std::vector<float>{4, 9}));

  OneNode equal("Split", 2);
  auto halves = equal.run({&x});
  EXPECT_EQ(values_of<float>(halves[1]), (std::vector<float>{5, 6, 7, 8, 9}));
  OneNode odd("Split", 2);
  odd.attr("axis", int64_t{1});
  EXPECT_THROW(odd.run({&x}), Error);
}

TEST(TensorReference, TransposeConcatShapeSqueeze) {
  Tensor x = f32({2, 3}, {0, 1, 2, 3, 4, 5});
  auto t = OneNode("Transpose").run({&x})[0];
  EXPECT_EQ(t.dims(), (Dims{3, 2}));
  EXPECT_EQ(values_of<float>(t), (std::vector<float>{0, 3, 1, 4, 2, 5}));

  Tensor y = f32({2, 1}, {9, 8});
  OneNode concat("Concat");
  concat.attr("axis", int64_t{-1});
  auto c = concat.run({&x, &y})[0];
  EXPECT_EQ(values_of<float>(c), (std::vector<float>{0, 1, 2, 9, 3, 4, 5, 8}));

  OneNode shape("Shape");
  shape.attr("start", int64_t{-1});
  auto s = shape.run({&c})[0];
  EXPECT_EQ(s.dtype(), DataType::kS64);
  EXPECT_EQ(values_of<int64_t>(s), (std::vector<int64_t>{4}));

  Tensor axes = s64({2}, {0, -1});
  auto u = OneNode("Unsqueeze").run({&x, &axes})[0];
  EXPECT_EQ(u.dims(), (Dims{1, 2, 3, 1}));
  EXPECT_EQ(OneNode("Squeeze").run({&u})[0].dims(), (Dims{2, 3}));
  Tensor bad_axes = s64({1}, {1});
  EXPECT_THROW(OneNode("Squeeze").run({&u, &bad_axes}), Error);

  OneNode flatten("Flatten");
  flatten.attr("axis", int64_t{2});
  EXPECT_EQ(flatten.run({&u})[0].dims(), (Dims{2, 3}));

  auto d = OneNode("Dropout", 2).run({&x});
  EXPECT_EQ(values_of<float>(d[0]), values_of<float>(x));
  EXPECT_EQ(d[1].dtype(), DataType::kBool);
  EXPECT_EQ(values_of<uint8_t>(d[1]), std::vector<uint8_t>(6, 1));
}

TEST(ReferenceExecutor, RunsSmallGraph) {
  // y = Relu(Reshape(x, [-1]) * w) + 1, with constants w, shape and one.
  Graph g;
  g.name = "tiny";
  Value* x = g.add_value("x", DataType::kF32, Shape::from_dims({2, 2}));
  Value* shape = g.add_constant("shape", s64({1}, {-1}));
  Value* w = g.add_constant("w", f32({4}, {1, -1, 2, -2}));
  Value* one = g.add_constant("one", f32({}, {1}));
  Value* flat = g.add_value("flat");
  Value* prod = g.add_value("prod");
  Value* act = g.add_value("act");
  Value* y = g.add_value("y");
  g.add_node("Reshape", "reshape", {x, shape}, {flat});
  g.add_node("Mul", "mul", {flat, w}, {prod});
  g.add_node("Relu", "relu", {prod}, {act});
  g.add_node("Add", "add", {act, one}, {y});
  g.inputs = {x};
  g.outputs = {y};

  Tensor in = f32({2, 2}, {1, 2, 3, 4});
  auto out = reference::run_graph(g, {in});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(values_of<float>(out[0]), (std::vector<float>{2, 1, 7, 1}));

  auto all = reference::run_graph_all_values(g, {in});
  EXPECT_EQ(all.count("shape"), 0u);
  ASSERT_EQ(all.count("prod"), 1u);
  EXPECT_EQ(values_of<float>(all["prod"]), (std::vector<float>{1, -2, 6, -8}));

  EXPECT_THROW(reference::run_graph(g, {}), Error);
  Tensor wrong_dtype = s32({2, 2}, {1, 2, 3, 4});
  EXPECT_THROW(reference::run_graph(g, {wrong_dtype}), Error);
  Tensor wrong_dims = f32({4}, {1, 2, 3, 4});
  EXPECT_THROW(reference::run_graph(g, {wrong_dims}), Error);
}

TEST(ReferenceExecutor, UnknownOpIsUnsupported) {
  Graph g;
  Node* n = g.add_node("NoSuchOp", "mystery", {}, {g.add_value("y")});
  try {
    reference::run_node(*n, {});
    FAIL() << "expected lowp::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("mystery"), std::string::npos);
  }
}

}  // namespace
}  // namespace lowp

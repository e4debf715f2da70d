// QuantizeLinear / DequantizeLinear reference kernels: ONNX's node tests (through the importer and
// the reference executor), rounding and saturation, per-axis parameters, and the int8 contract's
// quantized compute semantics (dequantize, float op, requantize).
#include <gtest/gtest.h>

#include <filesystem>

#include "reference/reference_executor.h"
#include "frontends/onnx/onnx_importer.h"
#include "lowp/shape_propagation.h"
#include "tests/test_util.h"

namespace fs = std::filesystem;
using namespace lowp;
using namespace lowp::testing;

namespace {

Tensor f32(const Dims& dims, const std::vector<float>& v) {
  Tensor t(DataType::kF32, dims);
  std::copy(v.begin(), v.end(), t.data<float>());
  return t;
}

template <typename T>
Tensor ints(DataType type, const Dims& dims, const std::vector<int>& v) {
  Tensor t(type, dims);
  for (size_t i = 0; i < v.size(); ++i) t.data<T>()[i] = static_cast<T>(v[i]);
  return t;
}

// Runs a one-node graph on `x` with constant operands.
std::vector<Tensor> run_one(const std::string& op, const Tensor& x, std::vector<Tensor> consts,
                            int64_t axis = 1) {
  Graph g;
  Value* in = g.add_value("x", x.dtype(), Shape::from_dims(x.dims()));
  g.inputs.push_back(in);
  std::vector<Value*> inputs{in};
  for (size_t i = 0; i < consts.size(); ++i) {
    inputs.push_back(g.add_constant(std::string(1, static_cast<char>('a' + i)), consts[i]));
  }
  Value* y = g.add_value("y");
  g.add_node(op, "n", inputs, {y})->attributes["axis"] = axis;
  g.outputs.push_back(y);
  propagate_shapes(g);
  return reference::run_graph(g, {x});
}

}  // namespace

TEST(QuantOps, OnnxNodeTestsPass) {
  const fs::path root(LOWP_ONNX_NODE_TESTS);
  ASSERT_TRUE(fs::exists(root)) << "no ONNX node tests at " << root;
  int cases = 0;
  for (const char* name : {"test_quantizelinear", "test_quantizelinear_axis",
                           "test_dequantizelinear", "test_dequantizelinear_axis"}) {
    const fs::path dir = root / name;
    if (!fs::exists(dir)) continue;
    SCOPED_TRACE(name);
    auto graph = onnx_frontend::import_file((dir / "model.onnx").string());
    std::vector<Tensor> inputs;
    for (size_t i = 0; i < graph->inputs.size(); ++i) {
      inputs.push_back(onnx_frontend::read_tensor_file(
          (dir / "test_data_set_0" / std::string("input_").append(std::to_string(i)).append(".pb"))
              .string()));
    }
    std::vector<Tensor> out = reference::run_graph(*graph, inputs);
    Tensor expected =
        onnx_frontend::read_tensor_file((dir / "test_data_set_0" / "output_0.pb").string());
    ASSERT_EQ(out[0].dtype(), expected.dtype());
    std::string report;
    EXPECT_TRUE(all_close(out[0], expected, 1e-6f, 0.f, &report)) << report;
    ++cases;
  }
  EXPECT_EQ(cases, 4);
}

TEST(QuantOps, QuantizeRoundsHalfToEvenAndSaturates) {
  Tensor x = f32({8}, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 300.f, -300.f, 1.49f});
  auto u8 = run_one("QuantizeLinear", x, {f32({}, {1.f}), ints<uint8_t>(DataType::kU8, {}, {10})});
  EXPECT_EQ(u8[0].dtype(), DataType::kU8);
  const std::vector<int> want_u8{10, 12, 12, 10, 8, 255, 0, 11};
  for (size_t i = 0; i < want_u8.size(); ++i) EXPECT_EQ(u8[0].data<uint8_t>()[i], want_u8[i]) << i;
  auto s8 = run_one("QuantizeLinear", x, {f32({}, {1.f}), ints<int8_t>(DataType::kS8, {}, {0})});
  const std::vector<int> want_s8{0, 2, 2, 0, -2, 127, -128, 1};
  for (size_t i = 0; i < want_s8.size(); ++i) EXPECT_EQ(s8[0].data<int8_t>()[i], want_s8[i]) << i;
  // No zero point: u8 with zero point 0.
  auto def = run_one("QuantizeLinear", x, {f32({}, {2.f})});
  EXPECT_EQ(def[0].dtype(), DataType::kU8);
  EXPECT_EQ(def[0].data<uint8_t>()[2], 1);  // 1.25 -> 1
}

TEST(QuantOps, PerAxisRoundTrip) {
  Tensor x = f32({2, 3}, {1.f, 2.f, 3.f, -1.f, -2.f, -3.f});
  std::vector<Tensor> params{f32({3}, {0.5f, 1.f, 2.f}),
                             ints<int8_t>(DataType::kS8, {3}, {0, 1, -1})};
  auto q = run_one("QuantizeLinear", x, params, 1);
  const std::vector<int> want{2, 3, 1, -2, -1, -3};  // 3 / 2 = 1.5 rounds to 2 (even), -1
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(q[0].data<int8_t>()[i], want[i]) << i;
  auto dq = run_one("DequantizeLinear", q[0], params, -1);
  const std::vector<float> back{1.f, 2.f, 4.f, -1.f, -2.f, -4.f};
  for (size_t i = 0; i < back.size(); ++i) EXPECT_FLOAT_EQ(dq[0].data<float>()[i], back[i]) << i;
}

TEST(QuantOps, QuantizedAddDequantizesAndRequantizes) {
  Graph g;
  Value* a = g.add_value("a", DataType::kU8, Shape::from_dims({4}));
  Value* b = g.add_value("b", DataType::kU8, Shape::from_dims({4}));
  a->quant = QuantParams{{0.5f}, {10}, -1, DataType::kU8};
  b->quant = QuantParams{{0.25f}, {0}, -1, DataType::kU8};
  Value* y = g.add_value("y");
  y->quant = QuantParams{{1.f}, {128}, -1, DataType::kS8};
  g.inputs = {a, b};
  g.add_node("Add", "add", {a, b}, {y})->attributes["_out_dtype"] =
      static_cast<int64_t>(DataType::kS8);
  g.outputs.push_back(y);
  y->quant->zero_points = {-3};
  propagate_shapes(g);
  EXPECT_EQ(y->dtype, DataType::kS8);
  auto out = reference::run_graph(g, {ints<uint8_t>(DataType::kU8, {4}, {10, 12, 0, 255}),
                                      ints<uint8_t>(DataType::kU8, {4}, {0, 2, 4, 255})});
  // real a = {0, 1, -5, 122.5}, b = {0, 0.5, 1, 63.75}; sum {0, 1.5, -4, 186.25} -> q = r - 3.
  const std::vector<int> want{-3, -1, -7, 127};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(out[0].data<int8_t>()[i], want[i]) << i;
}

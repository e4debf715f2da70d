#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "lowp/dtype.h"
#include "lowp/error.h"
#include "lowp/graph.h"
#include "lowp/shape_propagation.h"

using namespace lowp;

TEST(DataType, TraitsAndNames) {
  EXPECT_EQ(size_of(DataType::kF32), 4u);
  EXPECT_EQ(size_of(DataType::kBF16), 2u);
  EXPECT_EQ(size_of(DataType::kS64), 8u);
  EXPECT_STREQ(name_of(DataType::kU8), "u8");
  EXPECT_TRUE(traits(DataType::kS8).is_quantized_storage);
  EXPECT_EQ(parse_data_type("float16"), DataType::kF16);
  EXPECT_EQ(parse_data_type("nonsense"), DataType::kUndefined);
}

TEST(DataType, HalfAndBf16RoundTrip) {
  for (float v : {0.f, 1.f, -2.5f, 65504.f, 6.1035156e-05f, 5.9604645e-08f, 0.1f}) {
    EXPECT_NEAR(half_to_float(float_to_half(v)), v, std::fabs(v) * 1e-3f + 1e-8f) << v;
  }
  EXPECT_TRUE(std::isinf(half_to_float(float_to_half(1e6f))));
  EXPECT_EQ(float_to_half(1.f), 0x3c00);
  EXPECT_EQ(float_to_bf16(1.f), 0x3f80);
  EXPECT_FLOAT_EQ(bf16_to_float(float_to_bf16(3.140625f)), 3.140625f);
}

TEST(Tensor, CastAndReshape) {
  Tensor t(DataType::kF32, {2, 3});
  for (int i = 0; i < 6; ++i) t.data<float>()[i] = static_cast<float>(i) - 2.5f;
  Tensor i64 = t.cast(DataType::kS64);
  EXPECT_EQ(i64.to_int64()[0], -2);  // truncation toward zero
  EXPECT_EQ(t.reshaped({3, 2}).dims(), (Dims{3, 2}));
  EXPECT_THROW(t.reshaped({4, 2}), Error);
}

TEST(Graph, BuildSortPrintAndErrors) {
  Graph g;
  Value* x = g.add_value("x", DataType::kF32, Shape({Dim{-1, "N"}, Dim{4, {}}}));
  g.inputs.push_back(x);
  Value* a = g.add_value("a");
  Value* b = g.add_value("b");
  // Added out of order on purpose.
  g.add_node("Relu", "second", {a}, {b});
  g.add_node("Sigmoid", "first", {x}, {a});
  g.outputs.push_back(b);
  g.topological_sort();
  EXPECT_EQ(g.nodes()[0]->name, "first");
  propagate_shapes(g);
  EXPECT_EQ(b->shape.to_string(), "[Nx4]");
  EXPECT_EQ(b->dtype, DataType::kF32);
  std::ostringstream os;
  g.print(os);
  EXPECT_NE(os.str().find("Relu[second]"), std::string::npos);
  EXPECT_THROW(g.add_value("x"), Error);
  EXPECT_THROW(g.add_node("Relu", "dup", {x}, {b}), Error);  // b already produced
}

TEST(Graph, NodeAttributesAreTyped) {
  Graph g;
  Value* x = g.add_value("x");
  Value* y = g.add_value("y");
  Node* n = g.add_node("LeakyRelu", "lr", {x}, {y});
  n->attributes["alpha"] = 0.5f;
  n->attributes["axes"] = std::vector<int64_t>{1, 2};
  EXPECT_FLOAT_EQ(n->attr_float("alpha", 0.f), 0.5f);
  EXPECT_EQ(n->attr_ints("axes"), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(n->attr_int("missing", 7), 7);
  try {
    n->attr_int("alpha", 0);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("node 'lr' (LeakyRelu)"), std::string::npos);
  }
}

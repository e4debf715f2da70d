// The CPU lowerings that move data rather than compute (Concat, Gather of one index, Pad of zero
// pads) and the broadcasts oneDNN's fast binary does not take as given (a broadcast dim between
// two full ones: Swin's window mask). Each against the reference executor, on the layouts they
// meet in real graphs (a convolution's blocked output), and with the inputs they must refuse.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tests/net_builder.h"

using namespace lowp;
using namespace lowp::testing;

namespace {

Tensor index_tensor(const Dims& dims, int64_t value) {
  Tensor t(DataType::kS64, dims);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<int64_t>()[i] = value;
  return t;
}

TEST(DataMovement, ConcatOnOneDnnAlongAnyAxis) {
  struct Case {
    std::vector<Dims> inputs;
    int64_t axis;
  };
  const Case cases[] = {
      {{{2, 3, 4, 5}, {2, 7, 4, 5}}, 1},
      {{{1, 28, 28, 96}, {1, 28, 28, 96}, {1, 28, 28, 96}, {1, 28, 28, 96}}, -1},  // Swin merge
      {{{3, 5}, {1, 5}, {0, 5}}, 0},  // an empty input is skipped
      {{{2, 1, 6}, {2, 4, 6}}, -2},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(dims_to_string(c.inputs[0]) + " axis " + std::to_string(c.axis));
    Net n;
    std::vector<Value*> in;
    std::vector<Tensor> values;
    for (size_t i = 0; i < c.inputs.size(); ++i) {
      const std::string name = std::string("x").append(std::to_string(i));
      in.push_back(n.input(name, c.inputs[i]));
      values.push_back(random_tensor(c.inputs[i], 70 + static_cast<uint32_t>(i)));
    }
    n.g->outputs = {n.op("Concat", in, {{"axis", c.axis}})};
    const auto lines = check_against_reference(n, values, 0.f);
    EXPECT_TRUE(mentions(lines, "onednn concat")) << lines.at(0);
  }
}

// Convolutions leave blocked layouts (16 channels a block); 24 and 40 channels split a block.
// The same with a constant input, and in bf16.
TEST(DataMovement, ConcatOfConvolutionOutputsAndConstants) {
  for (Precision precision : {Precision::kFp32, Precision::kBf16}) {
    SCOPED_TRACE(precision == Precision::kFp32 ? "fp32" : "bf16");
    Net n;
    Value* x = n.input("x", {2, 8, 10, 10});
    Value* a = n.op("Conv", {x, n.constant(random_tensor({24, 8, 3, 3}, 71, -0.3f, 0.3f))},
                    {{"pads", std::vector<int64_t>{1, 1, 1, 1}}});
    Value* b = n.op("Conv", {x, n.constant(random_tensor({40, 8, 1, 1}, 72, -0.3f, 0.3f))});
    Value* k = n.constant(random_tensor({2, 3, 10, 10}, 73));
    n.g->outputs = {n.op("Relu", {n.op("Concat", {a, k, b}, {{"axis", int64_t{1}}})})};
    CompileOptions options;
    options.precision = precision;
    const auto lines =
        check_against_reference(n, {random_tensor({2, 8, 10, 10}, 74)},
                                precision == Precision::kFp32 ? 1e-5f : 0.1f, options);
    EXPECT_TRUE(mentions(lines, "onednn concat")) << lines.at(0);
  }
}

TEST(DataMovement, GatherOfOneIndexIsAReorder) {
  struct Case {
    Dims x;
    int64_t axis;
    Dims index_dims;
    int64_t index;
    bool on_onednn;
  };
  const Case cases[] = {
      {{3, 2, 4, 5}, 0, {}, 1, true},    // qkv[1]
      {{2, 197, 768}, 1, {}, 0, true},   // the class token x[:, 0]
      {{3, 2, 4, 5}, -1, {}, -1, true},  // negative axis and index
      {{3, 2, 4, 5}, 2, {1}, 3, true},   // a one-element index keeps the axis (size 1)
      {{3, 2, 4, 5}, 1, {2}, 1, false},  // two indices: the reference kernel
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(dims_to_string(c.x) + " axis " + std::to_string(c.axis));
    Net n;
    n.g->outputs = {n.op("Gather",
                         {n.input("x", c.x), n.constant(index_tensor(c.index_dims, c.index))},
                         {{"axis", c.axis}})};
    const auto lines = check_against_reference(n, {random_tensor(c.x, 75)}, 0.f);
    EXPECT_EQ(mentions(lines, "onednn reorder (gather)"), c.on_onednn) << lines.at(0);
  }
}

// An index out of range is an error naming the node, not a read outside the input.
TEST(DataMovement, GatherOfAnIndexOutOfRangeIsAnError) {
  for (int64_t index : {3, -4}) {
    Net n;
    n.g->outputs = {n.op("Gather", {n.input("x", {3, 4}), n.constant(index_tensor({}, index))})};
    propagate_shapes(*n.g);
    auto engine = Engine::compile(n.g, {});
    try {
      engine->create_session()->run({{"x", random_tensor({3, 4}, 76)}});
      FAIL() << "index " << index << " accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("Gather"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(std::to_string(index)), std::string::npos) << e.what();
    }
  }
}

// Zero pads make an alias; constant pads two reorders (fill, interior), with the pad value given
// or not, in fp32 and bf16; other modes the reference kernel.
TEST(DataMovement, PadOnOneDnn) {
  struct Case {
    std::vector<int64_t> pads;
    std::string mode;
    float value;  // NaN: no constant_value input
    std::string lowered;
  };
  const float none = std::nanf("");
  const Case cases[] = {
      {{0, 0, 0, 0, 0, 0, 0, 0}, "constant", none, "alias (zero padding"},
      {{0, 0, 1, 1, 0, 0, 1, 1}, "constant", none, "onednn reorder (pad)"},  // Inception
      {{0, 0, 1, 0, 0, 3, 2, 0}, "constant", 1.5f, "onednn reorder (pad)"},
      {{0, 0, 1, 1, 0, 0, 1, 1}, "reflect", none, "fallback reference"},
      {{0, 0, -1, 0, 0, 0, 2, 0}, "constant", none, "fallback reference"},  // a crop
  };
  for (Precision precision : {Precision::kFp32, Precision::kBf16}) {
    for (const Case& c : cases) {
      SCOPED_TRACE(c.mode + " " + dims_to_string(c.pads));
      Net n;
      Value* x = n.input("x", {1, 7, 7, 4});
      std::vector<Value*> in = {n.op("Relu", {x}), n.constant(ints(c.pads))};
      if (!std::isnan(c.value)) in.push_back(n.constant(scalar(c.value)));
      // Sigmoid (1 ulp from the reference's) keeps the Pad's output inside the arena.
      n.g->outputs = {n.op("Sigmoid", {n.op("Pad", in, {{"mode", c.mode}})})};
      CompileOptions options;
      options.precision = precision;
      const auto lines =
          check_against_reference(n, {random_tensor({1, 7, 7, 4}, 77)},
                                  precision == Precision::kFp32 ? 1e-6f : 0.01f, options);
      EXPECT_TRUE(mentions(lines, c.lowered)) << lines.at(0);
    }
  }
}

// Swin adds its window mask [1, W, 1, T, T] to attention scores [N, W, H, T, T]: oneDNN's fast
// binary takes that only with the dims coalesced (N = 1) or, for N > 1, with the known mask
// expanded over H. A mask that is not known (an input) still gives the right answer.
TEST(DataMovement, BroadcastBetweenFullDims) {
  struct Case {
    Dims scores, mask;
    bool mask_known;
    std::string op;
    bool expanded;
  };
  const Case cases[] = {
      {{1, 4, 3, 5, 5}, {1, 4, 1, 5, 5}, true, "Add", false},
      {{2, 4, 3, 5, 5}, {1, 4, 1, 5, 5}, true, "Add", true},
      {{2, 4, 3, 5, 5}, {4, 1, 5, 1}, true, "Sub", true},  // lower rank, inner broadcast too
      {{2, 4, 3, 5, 5}, {1, 4, 1, 5, 5}, false, "Mul", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.op + " " + dims_to_string(c.scores) + " by " + dims_to_string(c.mask));
    Net n;
    Value* s = n.input("s", c.scores);
    std::vector<Tensor> values = {random_tensor(c.scores, 78)};
    Value* m = c.mask_known ? n.constant(random_tensor(c.mask, 79)) : n.input("m", c.mask);
    if (!c.mask_known) values.push_back(random_tensor(c.mask, 79));
    n.g->outputs = {n.op(c.op, {s, m})};
    const auto lines = check_against_reference(n, values, 0.f);
    EXPECT_TRUE(mentions(lines, "onednn binary")) << lines.at(0);
    EXPECT_EQ(mentions(lines, "broadcast constant expanded"), c.expanded) << lines.at(0);
  }
}

// Squeeze-excite after a grouped convolution (RegNetY): the convolution leaves a blocked layout
// (nChw8c), in which oneDNN 2.6 has only a reference kernel for a per-channel Mul (~30x slower);
// the Mul runs channels-last instead. fp32 and bf16.
TEST(DataMovement, PerChannelScaleOfABlockedConvolutionOutput) {
  for (Precision precision : {Precision::kFp32, Precision::kBf16}) {
    Net n;
    Value* x = n.input("x", {1, 48, 14, 14});
    Value* c = n.op("Conv", {x, n.constant(random_tensor({48, 8, 3, 3}, 81, -0.3f, 0.3f))},
                    {{"group", int64_t{6}}, {"pads", std::vector<int64_t>{1, 1, 1, 1}}});
    Value* gate = n.op("Sigmoid", {n.op("GlobalAveragePool", {c})});
    n.g->outputs = {n.op("Relu", {n.op("Mul", {c, gate})})};
    CompileOptions options;
    options.precision = precision;
    const auto lines =
        check_against_reference(n, {random_tensor({1, 48, 14, 14}, 82)},
                                precision == Precision::kFp32 ? 1e-5f : 0.05f, options);
    for (const std::string& line : lines) {
      if (line.find(" Mul -> ") == std::string::npos) continue;
      EXPECT_NE(line.find("onednn binary"), std::string::npos) << line;
      EXPECT_EQ(line.find("8c"), std::string::npos) << line;
      EXPECT_EQ(line.find("16c"), std::string::npos) << line;
    }
  }
}

}  // namespace

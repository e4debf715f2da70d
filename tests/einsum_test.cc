// Einsum: the reference kernel and the CPU engine against numpy.einsum's outputs
// (tests/data/einsum, scripts/make_einsum_cases.py), EinsumDecompositionPass before and after
// through the reference kernels, which equations it turns into MatMul, and the malformed
// equations refused with the node named.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "passes/einsum_decomposition.h"
#include "tests/net_builder.h"
#include "tools/io/npy.h"

using namespace lowp;
using namespace lowp::testing;

namespace {

struct Case {
  const char* name;
  const char* equation;
  int inputs;
  bool decomposed;  // becomes Transpose / MatMul (no Einsum left, no reference fallback)
};

// The same list as scripts/make_einsum_cases.py.
const Case kCases[] = {
    {"batch_matmul", "bij, bjk -> bik", 2, true},
    {"maxvit_pv", "B G H I J, B G H J D -> B G H I D", 2, true},
    {"maxvit_qk", "B G H I D, B G H J D -> B G H I J", 2, true},
    {"inner", "i,i", 2, true},
    {"transpose", "ij->ji", 1, true},
    {"row_sum", "ij->i", 1, false},
    {"diagonal", "...ii ->...i", 1, false},
    {"two_contracted", "abcd,cdef->abef", 2, true},
    {"implicit_broadcast", "...ij,...jk", 2, true},
    {"transposed_out", "ij,jk->ki", 2, true},
    {"one_sided_sum", "ij,jk->k", 2, false},
    {"three_operands", "bn,anm,bm->ba", 3, false},
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name << " '" << c.equation << "'"; }

struct Loaded {
  Net net;
  std::vector<Tensor> inputs;
  Tensor want;
};

Tensor case_file(const Case& c, const std::string& suffix) {
  std::string path = "einsum/";
  path.append(c.name).append(suffix).append(".npy");
  return io::read_npy(test_data(path));
}

Loaded load(const Case& c) {
  Loaded l;
  std::vector<Value*> in;
  for (int i = 0; i < c.inputs; ++i) {
    const std::string index = std::to_string(i);
    l.inputs.push_back(case_file(c, "_in" + index));
    in.push_back(l.net.input("x" + index, l.inputs.back().dims()));
  }
  l.net.g->outputs = {l.net.op("Einsum", in, {{"equation", std::string(c.equation)}})};
  l.want = case_file(c, "_out");
  return l;
}

class EinsumCase : public ::testing::TestWithParam<Case> {};

TEST_P(EinsumCase, ReferenceKernelMatchesNumpy) {
  Loaded l = load(GetParam());
  propagate_shapes(*l.net.g);
  const Tensor got = reference::run_graph(*l.net.g, l.inputs).at(0);
  ASSERT_EQ(got.dims(), l.want.dims());
  EXPECT_LE(max_abs_diff(got, l.want), 1e-5f);
}

TEST_P(EinsumCase, CpuEngineMatchesNumpy) {
  Loaded l = load(GetParam());
  const auto lines = check_against_reference(l.net, l.inputs, 1e-5f);
  EXPECT_EQ(mentions(lines, "fallback reference"), !GetParam().decomposed) << lines.at(0);
  auto engine = Engine::compile(l.net.g, {});
  std::vector<TensorBinding> bindings;
  for (size_t i = 0; i < l.inputs.size(); ++i)
    bindings.push_back({engine->inputs()[i].name, l.inputs[i]});
  const Tensor got = engine->create_session()->run(bindings).at(0);
  ASSERT_EQ(got.dims(), l.want.dims());
  EXPECT_LE(max_abs_diff(got, l.want), 1e-5f);
}

TEST_P(EinsumCase, DecompositionKeepsTheResult) {
  Loaded l = load(GetParam());
  EXPECT_EQ(run_pass_checked(EinsumDecompositionPass(), l.net, l.inputs), GetParam().decomposed);
  EXPECT_EQ(count_ops(*l.net.g, "Einsum"), GetParam().decomposed ? 0 : 1);
}

INSTANTIATE_TEST_SUITE_P(Equations, EinsumCase, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

// MaxViT's attention: no reshape, B transposed once, one MatMul.
TEST(Einsum, MaxVitEquationsBecomeOneMatMul) {
  Loaded l = load(kCases[2]);
  run_pass_checked(EinsumDecompositionPass(), l.net, l.inputs);
  EXPECT_EQ(count_ops(*l.net.g, "MatMul"), 1);
  EXPECT_EQ(count_ops(*l.net.g, "Transpose"), 1);
  EXPECT_EQ(count_ops(*l.net.g, "Reshape"), 0);
}

TEST(Einsum, MalformedEquationsAreRefusedNamingTheNode) {
  struct Bad {
    const char* equation;
    const char* says;
  };
  const Bad cases[] = {
      {"ij,jk", "2 operand terms for 1 inputs"},
      {"ijk->i", "does not fit input 0 of rank 2"},
      {"ij->ik", "output label 'k' is in no input"},
      {"ij->ii", "appears twice"},
      {"i.j->ij", "stray '.'"},
      {"i1->i", "the character '1'"},
      {"ii->i", "dim 1 is 4 where its label is 3"},
      {"...j->j", "sums over the \"...\" dims"},
  };
  for (const Bad& b : cases) {
    SCOPED_TRACE(b.equation);
    Net n;
    n.g->outputs = {
        n.op("Einsum", {n.input("x", {3, 4})}, {{"equation", std::string(b.equation)}})};
    try {
      Engine::compile(n.g, {});
      FAIL() << "accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(b.says), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("Einsum"), std::string::npos) << e.what();
    }
  }
}

}  // namespace

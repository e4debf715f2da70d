#include "passes/einsum_decomposition.h"

#include <algorithm>
#include <optional>

#include "core/ops/einsum_equation.h"

namespace lowp {
namespace {

using Labels = std::vector<int>;

bool contains(const Labels& labels, int label) {
  return std::find(labels.begin(), labels.end(), label) != labels.end();
}

bool has_repeats(Labels labels) {
  std::sort(labels.begin(), labels.end());
  return std::adjacent_find(labels.begin(), labels.end()) != labels.end();
}

// perm[i] = where `to[i]` sits in `from`.
std::vector<int64_t> permutation(const Labels& from, const Labels& to) {
  std::vector<int64_t> perm;
  for (int label : to) perm.push_back(std::find(from.begin(), from.end(), label) - from.begin());
  return perm;
}

bool is_identity(const std::vector<int64_t>& perm) {
  for (size_t i = 0; i < perm.size(); ++i) {
    if (perm[i] != static_cast<int64_t>(i)) return false;
  }
  return true;
}

// The two-operand equation as a batched matmul: [batch, M, K] x [batch, K, N] -> [batch, M, N],
// each group a list of labels; nullopt when a label is summed in one operand only.
struct MatmulForm {
  Labels batch, m, k, n;
};

std::optional<MatmulForm> matmul_form(const EinsumEquation& eq) {
  const Labels& a = eq.inputs[0];
  const Labels& b = eq.inputs[1];
  MatmulForm f;
  for (int label : eq.output) {
    if (contains(a, label) && contains(b, label)) f.batch.push_back(label);
  }
  for (int label : a) {
    if (contains(b, label)) {
      if (!contains(eq.output, label)) f.k.push_back(label);
    } else if (contains(eq.output, label)) {
      f.m.push_back(label);
    } else {
      return std::nullopt;
    }
  }
  for (int label : b) {
    if (contains(a, label)) continue;
    if (!contains(eq.output, label)) return std::nullopt;
    f.n.push_back(label);
  }
  return f;
}

Labels concat(std::initializer_list<const Labels*> parts) {
  Labels out;
  for (const Labels* p : parts) out.insert(out.end(), p->begin(), p->end());
  return out;
}

// Builds the replacement nodes for one Einsum.
class Rewriter {
 public:
  Rewriter(Graph& g, const Node& einsum)
      : g_(g), name_(einsum.name), dtype_(einsum.outputs[0]->dtype) {}

  // `v` with its dims permuted from label order `from` to `to` (no node for the identity).
  Value* transpose(Value* v, const Labels& from, const Labels& to, Value* out = nullptr) {
    const std::vector<int64_t> perm = permutation(from, to);
    if (is_identity(perm) && !out) return v;
    Node* t = g_.add_node("Transpose", g_.unique_name(name_ + "_transpose"), {v}, {fresh(out)});
    t->attributes["perm"] = perm;
    return t->outputs[0];
  }

  // Keeps `lead` dims and replaces the rest with `tail` (0 = copy: ONNX Reshape).
  Value* reshape(Value* v, size_t lead, const std::vector<int64_t>& tail, Value* out = nullptr) {
    std::vector<int64_t> shape(lead, 0);
    shape.insert(shape.end(), tail.begin(), tail.end());
    Value* s = g_.add_constant(g_.unique_name(name_ + "_shape"), Tensor::int64s(shape));
    return g_.add_node("Reshape", g_.unique_name(name_ + "_reshape"), {v, s}, {fresh(out)})
        ->outputs[0];
  }

  Value* matmul(Value* a, Value* b, Value* out = nullptr) {
    return g_.add_node("MatMul", g_.unique_name(name_ + "_matmul"), {a, b}, {fresh(out)})
        ->outputs[0];
  }

 private:
  Value* fresh(Value* out) {
    return out ? out : g_.add_value(g_.unique_name(name_ + "_part"), dtype_);
  }
  Graph& g_;
  std::string name_;
  DataType dtype_;
};

std::optional<std::vector<int64_t>> group_sizes(const Labels& group,
                                                const std::vector<int64_t>& sizes) {
  std::vector<int64_t> out;
  for (int label : group) {
    if (sizes[static_cast<size_t>(label)] < 0) return std::nullopt;
    out.push_back(sizes[static_cast<size_t>(label)]);
  }
  return out;
}

int64_t product(const std::vector<int64_t>& v) {
  int64_t p = 1;
  for (int64_t x : v) p *= x;
  return p;
}

// The two-operand form: Transpose -> [Reshape] -> MatMul -> [Reshape] -> Transpose. Returns false
// (graph untouched) when a label is summed in one operand only, or when a group of several labels
// has a dimension unknown at compile time (its Reshape needs it).
bool decompose_pair(Graph& g, Node* einsum, const EinsumEquation& eq,
                    const std::vector<Dims>& dims) {
  const std::optional<MatmulForm> f = matmul_form(eq);
  if (!f) return false;
  const std::vector<int64_t> sizes = einsum_label_sizes(eq, dims, einsum->describe());
  const auto m = group_sizes(f->m, sizes), k = group_sizes(f->k, sizes),
             n = group_sizes(f->n, sizes);
  const bool reshaped = f->m.size() != 1 || f->k.size() != 1 || f->n.size() != 1;
  if (reshaped && (!m || !k || !n)) return false;
  Value* out = einsum->outputs[0];
  Rewriter r(g, *einsum);
  const size_t nb = f->batch.size();
  Value* a = r.transpose(einsum->inputs[0], eq.inputs[0], concat({&f->batch, &f->m, &f->k}));
  Value* b = r.transpose(einsum->inputs[1], eq.inputs[1], concat({&f->batch, &f->k, &f->n}));
  if (reshaped) {
    a = r.reshape(a, nb, {product(*m), product(*k)});
    b = r.reshape(b, nb, {product(*k), product(*n)});
  }
  const Labels result = concat({&f->batch, &f->m, &f->n});
  const bool last = is_identity(permutation(result, eq.output));
  g.remove_node(einsum);
  Value* c = r.matmul(a, b, last && !reshaped ? out : nullptr);
  if (reshaped) {
    std::vector<int64_t> tail = *m;
    tail.insert(tail.end(), n->begin(), n->end());
    c = r.reshape(c, nb, tail, last ? out : nullptr);
  }
  if (!last) r.transpose(c, result, eq.output, out);
  return true;
}

// Replaces `einsum` when its equation allows; returns whether it did.
bool decompose(Graph& g, Node* einsum) {
  std::vector<size_t> ranks;
  std::vector<Dims> dims;
  for (const Value* v : einsum->inputs) {
    if (!v || !v->shape.has_rank()) return false;
    ranks.push_back(v->shape.rank());
    Dims d;
    for (const Dim& dim : v->shape.dims()) d.push_back(dim.size);
    dims.push_back(d);
  }
  const EinsumEquation eq =
      parse_einsum(einsum->attr_string("equation", ""), ranks, einsum->describe());
  for (const Labels& in : eq.inputs) {
    if (has_repeats(in)) return false;  // a diagonal
  }
  if (eq.inputs.size() == 2) return decompose_pair(g, einsum, eq, dims);
  if (eq.inputs.size() != 1 || eq.output.size() != eq.inputs[0].size()) return false;  // a sum
  Value* in = einsum->inputs[0];
  Value* out = einsum->outputs[0];
  Rewriter r(g, *einsum);
  g.remove_node(einsum);
  r.transpose(in, eq.inputs[0], eq.output, out);
  return true;
}

}  // namespace

bool EinsumDecompositionPass::run(Graph& graph, PassContext& ctx) const {
  std::vector<Node*> nodes;
  for (const auto& n : graph.nodes()) {
    if (n->op_type == "Einsum") nodes.push_back(n.get());
  }
  bool changed = false;
  for (Node* n : nodes) {
    const std::string what = n->describe() + " '" + n->attr_string("equation", "") + "'";
    if (!decompose(graph, n)) continue;
    ctx.note(name(), "decomposed " + what + " into Transpose / MatMul");
    changed = true;
  }
  if (changed) graph.remove_unused_values();
  return changed;
}

}  // namespace lowp

#include "passes/fp16_casting.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "lowp/op_schema.h"

namespace lowp {
namespace {

constexpr float kHalfMax = 65504.f;

bool is_float(const Value* v) { return v && traits(v->dtype).is_float; }

bool is_shape_input(const OpSchema* schema, size_t i) {
  return schema && i < 32 && ((schema->shape_inputs >> i) & 1u) != 0;
}

// The float data inputs of a node (not shape inputs such as Resize's scales).
std::vector<size_t> float_data_inputs(const Node& n) {
  const OpSchema* schema = find_op_schema(n.op_type);
  std::vector<size_t> out;
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    if (is_float(n.inputs[i]) && !is_shape_input(schema, i)) out.push_back(i);
  }
  return out;
}

bool has_float_output(const Node& n) {
  return std::any_of(n.outputs.begin(), n.outputs.end(), is_float);
}

// Points node inputs that use `from` at `to` (graph outputs untouched).
void redirect_consumers(Value* from, Value* to) {
  std::vector<Node*> consumers = from->consumers;
  std::sort(consumers.begin(), consumers.end());
  consumers.erase(std::unique(consumers.begin(), consumers.end()), consumers.end());
  for (Node* c : consumers) {
    for (Value*& in : c->inputs) {
      if (in == from) {
        in = to;
        to->consumers.push_back(c);
      }
    }
  }
  from->consumers.clear();
}

class Rewriter {
 public:
  Rewriter(Graph& g, const Fp16CastingOptions& o) : g_(g), o_(o) {}

  bool keep_io() const { return o_.keep_io_types || o_.target == DataType::kBF16; }

  bool user_keeps(const Node& n) const {
    const auto& k = o_.keep_fp32;
    return std::find(k.begin(), k.end(), n.name) != k.end() ||
           std::find(k.begin(), k.end(), n.op_type) != k.end();
  }

  bool out_of_range(const Node& n) const {
    if (o_.target != DataType::kF16) return false;  // bf16 has f32's exponent range
    for (const Value* v : n.outputs) {
      if (!v) continue;
      auto it = o_.activation_ranges.find(v->name);
      if (it != o_.activation_ranges.end() && !(it->second <= kHalfMax)) return true;
    }
    // A float constant input that fp16 cannot hold (it would become inf) keeps the node fp32.
    for (size_t i : float_data_inputs(n)) {
      const Value* v = n.inputs[i];
      if (v->is_constant() && !fits_half(*v->constant)) return true;
    }
    return false;
  }

  static bool fits_half(const Tensor& t) {
    for (float x : t.to_float()) {
      if (std::isfinite(x) && std::fabs(x) > kHalfMax) return false;
    }
    return true;
  }

  bool decide_low(const Node& n) const {
    bool all_target = true;
    for (const Value* v : n.outputs)
      all_target = all_target && (!is_float(v) || v->dtype == o_.target);
    if (all_target) return true;  // already in the target precision (e.g. a Cast made earlier)
    const OpSchema* schema = find_op_schema(n.op_type);
    const Fp16Policy policy = schema ? schema->fp16 : Fp16Policy::kNever;
    if (policy == Fp16Policy::kNever || user_keeps(n) || out_of_range(n)) return false;
    if (policy == Fp16Policy::kAlways) return true;
    bool any = false;
    for (size_t i : float_data_inputs(n)) {
      const Value* v = n.inputs[i];
      if (v->is_constant()) continue;
      if (!low_.count(v)) return false;
      any = true;
    }
    return any;
  }

  // Decides every node in topological order (inputs are decided before their consumers).
  void decide() {
    for (Value* v : g_.inputs) {
      if (is_float(v) && (!keep_io() || v->dtype == o_.target)) low_.insert(v);
    }
    for (const auto& n : g_.nodes()) {
      if (!has_float_output(*n)) continue;
      if (decide_low(*n)) {
        low_nodes_.insert(n.get());
        for (Value* v : n->outputs) {
          if (is_float(v)) low_.insert(v);
        }
      } else {
        kept_.push_back(n->name + " (" + n->op_type + ")");
      }
    }
  }

  Value* converted_constant(Value* c) {
    if (c->dtype == o_.target) return c;
    Value*& slot = constants_[c];
    if (!slot) {
      slot = g_.add_constant(g_.unique_name(c->name + suffix()), c->constant->cast(o_.target));
      ++converted_;
      bytes_before_ += c->constant->bytes();
      bytes_after_ += slot->constant->bytes();
    }
    return slot;
  }

  Value* cast_of(Value* src, DataType to, const Shape& shape) {
    auto& cache = to == DataType::kF32 ? to_f32_ : to_low_;
    Value*& slot = cache[src];
    if (!slot) {
      slot = g_.add_value(g_.unique_name(src->name + (to == DataType::kF32 ? "_fp32" : suffix())),
                          to, shape);
      add_cast(src, slot);
    }
    return slot;
  }

  // A cast into fp16 saturates: an fp32 value beyond 65504 becomes +-65504, not inf (a Clip
  // first, which every backend runs). bf16 holds fp32's range.
  void add_cast(Value* src, Value* dst) {
    if (dst->dtype == DataType::kF16 && src->dtype == DataType::kF32) {
      if (!half_limits_.first) {
        half_limits_ = {g_.add_constant(g_.unique_name("f16_lowest"), Tensor::scalar(-kHalfMax)),
                        g_.add_constant(g_.unique_name("f16_max"), Tensor::scalar(kHalfMax))};
      }
      Value* clipped =
          g_.add_value(g_.unique_name(src->name + "_saturated"), DataType::kF32, src->shape);
      g_.add_node("Clip", g_.unique_name(dst->name + "_saturate"),
                  {src, half_limits_.first, half_limits_.second}, {clipped});
      src = clipped;
    }
    Node* cast = g_.add_node("Cast", g_.unique_name(dst->name + "_cast"), {src}, {dst});
    cast->attributes["to"] = static_cast<int64_t>(dst->dtype);
    ++casts_;
  }

  std::string suffix() const { return o_.target == DataType::kBF16 ? "_bf16" : "_f16"; }

  void rewrite_inputs() {
    std::vector<Node*> nodes;
    for (const auto& n : g_.nodes()) nodes.push_back(n.get());
    for (Node* n : nodes) {
      if (!has_float_output(*n)) continue;  // Shape and friends read dims only
      if (n->op_type == "Cast") continue;   // reads any dtype: never needs a cast before it
      const bool low = low_nodes_.count(n) != 0;
      for (size_t i : float_data_inputs(*n)) {
        Value* v = n->inputs[i];
        Value* use = v;
        if (v->is_constant()) {
          if (low) use = converted_constant(v);
        } else if (low != (low_.count(v) != 0)) {
          use = cast_of(v, low ? o_.target : DataType::kF32, v->shape);
        }
        if (use == v) continue;
        auto& cs = v->consumers;
        cs.erase(std::find(cs.begin(), cs.end(), n));
        n->inputs[i] = use;
        use->consumers.push_back(n);
      }
    }
  }

  void retype() {
    for (Value* v : low_) {
      retyped_ += v->dtype != o_.target;
      v->dtype = o_.target;
    }
  }

  // Graph outputs whose dtype differs from what callers should see get a Cast that produces the
  // original name.
  void fix_outputs() {
    for (Value* out : g_.outputs) {
      if (!is_float(out) || !out->producer) continue;
      const DataType want = keep_io() ? DataType::kF32 : o_.target;
      if (out->dtype == want) continue;
      Node* p = out->producer;
      Value* inner = g_.add_value(
          g_.unique_name(out->name + (out->dtype == DataType::kF32 ? "_fp32" : suffix())),
          out->dtype, out->shape);
      std::replace(p->outputs.begin(), p->outputs.end(), out, inner);
      inner->producer = p;
      out->producer = nullptr;
      redirect_consumers(out, inner);
      out->dtype = want;
      add_cast(inner, out);
    }
  }

  std::string summary() const {
    std::string s = std::to_string(low_nodes_.size()) + " nodes in " + name_of(o_.target) + ", " +
                    std::to_string(kept_.size()) + " kept fp32, " + std::to_string(casts_) +
                    " casts, " + std::to_string(converted_) + " constants " +
                    std::to_string(bytes_before_) + " -> " + std::to_string(bytes_after_) +
                    " bytes";
    for (size_t i = 0; i < kept_.size() && i < 8; ++i) s += (i ? ", " : "; fp32: ") + kept_[i];
    if (kept_.size() > 8) s += ", ...";
    return s;
  }

  bool changed() const { return retyped_ > 0 || converted_ > 0 || casts_ > 0; }

 private:
  Graph& g_;
  const Fp16CastingOptions& o_;
  std::set<Value*, std::less<>> low_;
  std::set<const Node*> low_nodes_;
  std::vector<std::string> kept_;
  std::map<Value*, Value*> constants_;
  std::map<Value*, Value*> to_f32_;
  std::map<Value*, Value*> to_low_;
  std::pair<Value*, Value*> half_limits_{nullptr, nullptr};  // Clip's bounds, shared
  int casts_ = 0;
  int retyped_ = 0;
  int converted_ = 0;
  size_t bytes_before_ = 0;
  size_t bytes_after_ = 0;
};

}  // namespace

Fp16CastingOptions Fp16CastingOptions::from(const CompileOptions& options,
                                            std::map<std::string, float> ranges) {
  Fp16CastingOptions o;
  o.target = options.precision == Precision::kBf16 ? DataType::kBF16 : DataType::kF16;
  o.keep_fp32 = options.keep_fp32;
  o.keep_io_types = options.keep_io_types;
  o.activation_ranges = std::move(ranges);
  return o;
}

bool Fp16CastingPass::run(Graph& graph, PassContext& ctx) const {
  if (options_.target != DataType::kF16 && options_.target != DataType::kBF16) return false;
  graph.topological_sort();
  Rewriter r(graph, options_);
  r.decide();
  r.rewrite_inputs();
  r.retype();
  r.fix_outputs();
  if (!r.changed()) return false;
  graph.topological_sort();
  graph.remove_unused_values();
  ctx.note(name(), r.summary());
  return true;
}

}  // namespace lowp

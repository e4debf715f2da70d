#include "lowp/graph.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "lowp/error.h"

namespace lowp {

// ---- Node -------------------------------------------------------------------------------------

namespace {
template <typename T>
const T* find_attr(const Node& node, const std::string& key) {
  auto it = node.attributes.find(key);
  if (it == node.attributes.end()) return nullptr;
  const T* v = std::get_if<T>(&it->second);
  if (!v) {
    throw_error(ErrorCode::kInvalidModel,
                node.describe() + ": attribute '" + key + "' has an unexpected type");
  }
  return v;
}
}  // namespace

int64_t Node::attr_int(const std::string& key, int64_t fallback) const {
  const auto* v = find_attr<int64_t>(*this, key);
  return v ? *v : fallback;
}

float Node::attr_float(const std::string& key, float fallback) const {
  auto it = attributes.find(key);
  if (it != attributes.end()) {
    if (const auto* i = std::get_if<int64_t>(&it->second)) return static_cast<float>(*i);
  }
  const auto* v = find_attr<float>(*this, key);
  return v ? *v : fallback;
}

std::string Node::attr_string(const std::string& key, const std::string& fallback) const {
  const auto* v = find_attr<std::string>(*this, key);
  return v ? *v : fallback;
}

std::vector<int64_t> Node::attr_ints(const std::string& key, std::vector<int64_t> fallback) const {
  const auto* v = find_attr<std::vector<int64_t>>(*this, key);
  return v ? *v : fallback;
}

std::vector<float> Node::attr_floats(const std::string& key) const {
  const auto* v = find_attr<std::vector<float>>(*this, key);
  return v ? *v : std::vector<float>{};
}

const Tensor* Node::attr_tensor(const std::string& key) const {
  return find_attr<Tensor>(*this, key);
}

std::string Node::describe() const { return "node '" + name + "' (" + op_type + ")"; }

// ---- Graph ------------------------------------------------------------------------------------

Value* Graph::add_value(const std::string& value_name, DataType dtype, Shape shape) {
  if (by_name_.count(value_name)) {
    throw_error(ErrorCode::kInvalidModel, "value '" + value_name + "' is defined twice");
  }
  auto v = std::make_unique<Value>();
  v->name = value_name;
  v->dtype = dtype;
  v->shape = std::move(shape);
  Value* raw = v.get();
  values_.push_back(std::move(v));
  by_name_[value_name] = raw;
  return raw;
}

Value* Graph::add_constant(const std::string& value_name, Tensor tensor) {
  Value* v = add_value(value_name, tensor.dtype(), Shape::from_dims(tensor.dims()));
  v->constant = std::make_shared<const Tensor>(std::move(tensor));
  return v;
}

Node* Graph::add_node(const std::string& op_type, const std::string& node_name,
                      std::vector<Value*> node_inputs, std::vector<Value*> node_outputs) {
  auto n = std::make_unique<Node>();
  n->op_type = op_type;
  n->name = node_name;
  n->inputs = std::move(node_inputs);
  n->outputs = std::move(node_outputs);
  for (Value* in : n->inputs) {
    if (in) in->consumers.push_back(n.get());
  }
  for (Value* out : n->outputs) {
    if (!out) continue;
    if (out->producer) {
      throw_error(ErrorCode::kInvalidModel, "value '" + out->name + "' is produced by both " +
                                                out->producer->describe() + " and " +
                                                n->describe());
    }
    out->producer = n.get();
  }
  Node* raw = n.get();
  nodes_.push_back(std::move(n));
  return raw;
}

void Graph::remove_node(Node* node) {
  for (Value* in : node->inputs) {
    if (!in) continue;
    auto& c = in->consumers;
    auto it = std::find(c.begin(), c.end(), node);
    if (it != c.end()) c.erase(it);
  }
  for (Value* out : node->outputs) {
    if (out && out->producer == node) out->producer = nullptr;
  }
  auto it =
      std::find_if(nodes_.begin(), nodes_.end(), [&](const auto& p) { return p.get() == node; });
  if (it != nodes_.end()) nodes_.erase(it);
}

void Graph::replace_all_uses(Value* from, Value* to) {
  for (Node* consumer : from->consumers) {
    for (Value*& in : consumer->inputs) {
      if (in == from) in = to;
    }
    to->consumers.push_back(consumer);
  }
  from->consumers.clear();
  for (Value*& out : outputs) {
    if (out == from) out = to;
  }
}

void Graph::remove_unused_values() {
  std::set<const Value*> keep(inputs.begin(), inputs.end());
  keep.insert(outputs.begin(), outputs.end());
  for (const auto& n : nodes_) {
    for (Value* v : n->inputs) keep.insert(v);
    for (Value* v : n->outputs) keep.insert(v);
  }
  std::vector<std::unique_ptr<Value>> kept;
  for (auto& v : values_) {
    if (keep.count(v.get())) {
      kept.push_back(std::move(v));
    } else {
      by_name_.erase(v->name);
    }
  }
  values_ = std::move(kept);
}

void Graph::topological_sort() {
  std::vector<std::unique_ptr<Node>> sorted;
  std::set<const Node*> placed;
  std::set<const Value*> ready;
  for (const auto& v : values_) {
    if (!v->producer) ready.insert(v.get());
  }
  std::vector<std::unique_ptr<Node>> pending = std::move(nodes_);
  nodes_.clear();
  bool progress = true;
  while (!pending.empty() && progress) {
    progress = false;
    std::vector<std::unique_ptr<Node>> rest;
    for (auto& n : pending) {
      bool ok = std::all_of(n->inputs.begin(), n->inputs.end(),
                            [&](const Value* v) { return !v || ready.count(v); });
      if (ok) {
        for (Value* out : n->outputs) {
          if (out) ready.insert(out);
        }
        sorted.push_back(std::move(n));
        progress = true;
      } else {
        rest.push_back(std::move(n));
      }
    }
    pending = std::move(rest);
  }
  if (!pending.empty()) {
    std::string names;
    for (const auto& n : pending) names += (names.empty() ? "" : ", ") + n->describe();
    for (auto& n : pending) sorted.push_back(std::move(n));
    nodes_ = std::move(sorted);
    throw_error(ErrorCode::kInvalidModel, "graph has a cycle or dangling inputs at: " + names);
  }
  nodes_ = std::move(sorted);
}

std::unique_ptr<Graph> Graph::clone() const {
  auto g = std::make_unique<Graph>();
  g->name = name;
  g->opset = opset;
  g->name_counter_ = name_counter_;
  std::map<const Value*, Value*> map;
  map[nullptr] = nullptr;
  for (const auto& v : values_) {
    Value* c = g->add_value(v->name, v->dtype, v->shape);
    c->constant = v->constant;
    c->quant = v->quant;
    map[v.get()] = c;
  }
  for (const auto& n : nodes_) {
    std::vector<Value*> ins, outs;
    for (const Value* v : n->inputs) ins.push_back(map.at(v));
    for (const Value* v : n->outputs) outs.push_back(map.at(v));
    Node* c = g->add_node(n->op_type, n->name, ins, outs);
    c->attributes = n->attributes;
    c->activation = n->activation;
  }
  for (const Value* v : inputs) g->inputs.push_back(map.at(v));
  for (const Value* v : outputs) g->outputs.push_back(map.at(v));
  return g;
}

const Value* Graph::repeated_output() const {
  for (auto it = outputs.begin(); it != outputs.end(); ++it) {
    if (std::find(outputs.begin(), it, *it) != it) return *it;
  }
  return nullptr;
}

Value* Graph::find_value(const std::string& value_name) const {
  auto it = by_name_.find(value_name);
  return it == by_name_.end() ? nullptr : it->second;
}

std::string Graph::unique_name(const std::string& base) {
  std::string candidate = base;
  while (by_name_.count(candidate)) candidate = base + "_" + std::to_string(++name_counter_);
  return candidate;
}

int64_t Graph::parameter_count() const {
  int64_t n = 0;
  for (const auto& v : values_) {
    if (v->constant) n += v->constant->numel();
  }
  return n;
}

size_t Graph::parameter_bytes() const {
  size_t n = 0;
  for (const auto& v : values_) {
    if (v->constant) n += v->constant->bytes();
  }
  return n;
}

namespace {
std::string value_label(const Value* v) {
  if (!v) return "<none>";
  std::string s = "%" + v->name + ":" + name_of(v->dtype) + v->shape.to_string();
  if (v->constant) s += "(const)";
  if (v->quant) {
    s += "{q " + std::string(name_of(v->quant->storage)) +
         " scales=" + std::to_string(v->quant->scales.size()) + "}";
  }
  return s;
}

std::string attribute_to_string(const Attribute& a) {
  std::ostringstream os;
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, float>) {
          os << x;
        } else if constexpr (std::is_same_v<T, std::string>) {
          os << '"' << x << '"';
        } else if constexpr (std::is_same_v<T, Tensor>) {
          os << "tensor" << dims_to_string(x.dims());
        } else {
          os << '[';
          for (size_t i = 0; i < x.size(); ++i) os << (i ? "," : "") << x[i];
          os << ']';
        }
      },
      a);
  return os.str();
}
}  // namespace

namespace {

std::string activation_to_string(const FusedActivation& a) {
  std::ostringstream s;
  s << describe_activation(a);
  if (a.kind == ActivationKind::kLeakyRelu) s << "(" << a.slope << ")";
  if (a.kind == ActivationKind::kClip) s << "(" << a.lo << ", " << a.hi << ")";
  if (a.kind == ActivationKind::kHardSigmoid) s << "(" << a.alpha << ", " << a.beta << ")";
  return s.str();
}

}  // namespace

void Graph::print(std::ostream& os) const {
  os << "graph " << name << " (opset " << opset << ")\n";
  for (const Value* v : inputs) os << "  input  " << value_label(v) << "\n";
  for (const auto& n : nodes_) {
    os << "  ";
    for (size_t i = 0; i < n->outputs.size(); ++i)
      os << (i ? ", " : "") << value_label(n->outputs[i]);
    os << " = " << n->op_type << "[" << n->name << "](";
    bool first = true;
    for (const Value* in : n->inputs) {
      if (in && in->constant && in->constant->numel() > 8) {
        os << (first ? "" : ", ") << "%" << in->name << dims_to_string(in->constant->dims());
      } else {
        os << (first ? "" : ", ") << value_label(in);
      }
      first = false;
    }
    os << ")";
    if (!n->attributes.empty()) {
      os << " {";
      bool f = true;
      for (const auto& [k, a] : n->attributes) {
        os << (f ? "" : ", ") << k << "=" << attribute_to_string(a);
        f = false;
      }
      os << "}";
    }
    if (n->activation.present()) os << " +" << activation_to_string(n->activation);
    os << "\n";
  }
  for (const Value* v : outputs) os << "  output " << value_label(v) << "\n";
}

}  // namespace lowp

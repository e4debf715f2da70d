// The lowp IR: a Graph of Nodes connected by Values. Small and plain on purpose.
//  - A Value is produced by at most one Node (or is a graph input / initializer) and knows its
//    consumers. Constants (initializers) are Values holding a Tensor, referenced directly.
//  - Quantization parameters live on Values (QuantParams), never inside kernels.
//  - Op types and attribute names follow ONNX at the latest opset the frontend normalises to
//    (attributes that older opsets carried are turned into inputs at import).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

#include "lowp/dtype.h"
#include "lowp/fused_activation.h"
#include "lowp/shape.h"
#include "lowp/tensor.h"

namespace lowp {

class Node;

struct QuantParams {
  std::vector<float> scales;         // one per tensor, or one per channel along `axis`
  std::vector<int32_t> zero_points;  // same length as scales
  int axis = -1;                     // -1: per-tensor
  DataType storage = DataType::kS8;  // s8 or u8
  bool operator==(const QuantParams&) const = default;
};

struct Value {
  std::string name;
  DataType dtype = DataType::kUndefined;
  Shape shape;
  Node* producer = nullptr;
  std::vector<Node*> consumers;
  std::shared_ptr<const Tensor> constant;  // set for initializers and folded constants
  std::optional<QuantParams> quant;
  bool is_constant() const { return constant != nullptr; }
};

using Attribute = std::variant<int64_t, float, std::string, std::vector<int64_t>,
                               std::vector<float>, std::vector<std::string>, Tensor>;

class Node {
 public:
  std::string name;
  std::string op_type;
  std::vector<Value*> inputs;  // nullptr for an omitted optional input
  std::vector<Value*> outputs;
  std::map<std::string, Attribute> attributes;
  // The activation a pass fused into this node (Conv, Gemm), applied to its output last.
  FusedActivation activation;

  bool has_attr(const std::string& key) const { return attributes.count(key) != 0; }
  int64_t attr_int(const std::string& key, int64_t fallback) const;
  float attr_float(const std::string& key, float fallback) const;
  std::string attr_string(const std::string& key, const std::string& fallback) const;
  std::vector<int64_t> attr_ints(const std::string& key, std::vector<int64_t> fallback = {}) const;
  std::vector<float> attr_floats(const std::string& key) const;
  const Tensor* attr_tensor(const std::string& key) const;

  Value* input(size_t i) const { return i < inputs.size() ? inputs[i] : nullptr; }
  // "node 'conv1' (Conv)" — used in every error message about this node.
  std::string describe() const;
};

class Graph {
 public:
  Graph() = default;
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  std::string name;
  int64_t opset = 0;  // default-domain opset the model was imported from
  std::vector<Value*> inputs;
  std::vector<Value*> outputs;

  Value* add_value(const std::string& name, DataType dtype = DataType::kUndefined,
                   Shape shape = Shape());
  Value* add_constant(const std::string& name, Tensor tensor);
  Node* add_node(const std::string& op_type, const std::string& name, std::vector<Value*> inputs,
                 std::vector<Value*> outputs);
  // Removes a node and unlinks it from its inputs' consumer lists (outputs keep no producer).
  void remove_node(Node* node);
  // Points every use of `from` (node inputs and graph outputs) at `to`.
  void replace_all_uses(Value* from, Value* to);
  // Drops values that nothing produces, consumes or exposes.
  void remove_unused_values();
  // Re-orders nodes topologically; throws on a cycle.
  void topological_sort();

  // Deep copy of the structure; constant tensors are shared (they are immutable).
  std::unique_ptr<Graph> clone() const;

  Value* find_value(const std::string& name) const;
  // The first value listed twice among `outputs` (one copy would never be written), or nullptr.
  const Value* repeated_output() const;
  const std::vector<std::unique_ptr<Node>>& nodes() const { return nodes_; }
  const std::vector<std::unique_ptr<Value>>& values() const { return values_; }
  std::string unique_name(const std::string& base);

  int64_t parameter_count() const;
  size_t parameter_bytes() const;
  void print(std::ostream& os) const;

 private:
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<std::unique_ptr<Value>> values_;
  std::map<std::string, Value*> by_name_;
  int64_t name_counter_ = 0;
};

}  // namespace lowp

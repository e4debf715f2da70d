// Op schemas: what lowp knows about each operator independently of any backend: how many inputs and
// outputs it takes and how to infer output types and dims from input types, dims and (where known)
// constant input values. Passes, the planner and the reference executor all read this registry.
#pragma once

#include <string>
#include <vector>

#include "lowp/graph.h"
#include "lowp/tensor.h"

namespace lowp {

// What is known about one input or output when inferring: dtype, concrete dims and, when the value
// is a constant (or the executor has it), its contents.
struct TensorInfo {
  DataType dtype = DataType::kUndefined;
  Dims dims;
  const Tensor* value = nullptr;
  bool present = true;  // false for an omitted optional input / unused output
};

// Returns one TensorInfo per node output (present=false for optional outputs not produced).
// Throws lowp::Error (kInvalidModel / kUnsupported) naming the node when inputs do not fit.
using InferFn = std::vector<TensorInfo> (*)(const Node& node,
                                            const std::vector<TensorInfo>& inputs);

// Roughly how many arithmetic operations running the node takes (multiply-adds for the
// reductions), from its inputs' and outputs' dims: what constant folding budgets.
using WorkFn = double (*)(const Node& node, const std::vector<TensorInfo>& inputs,
                          const std::vector<TensorInfo>& outputs);

enum class Fp16Policy { kAlways, kFollowInputs, kNever };

// How an op runs in int8 (the int8 quantization and QDQ folding passes read this).
enum class Int8Role {
  kNone,         // stays float
  kCompute,      // needs its output's range; requantizes with its own parameters
  kPassThrough,  // int8 in, int8 out with the input's parameters (MaxPool, Flatten, Reshape)
};

struct OpSchema {
  const char* op_type;
  int min_inputs;
  int max_inputs;
  InferFn infer;
  Fp16Policy fp16 = Fp16Policy::kFollowInputs;
  // Bit i set: the contents (not just dims) of input i decide the output dims (Reshape's shape,
  // Slice's starts...). A graph input reaching such an input makes the engine specialise per value.
  uint32_t shape_inputs = 0;
  Int8Role int8 = Int8Role::kNone;
  // Bit i set: input i is an activation in the int8 form (the other present inputs are constants).
  uint32_t int8_activation_inputs = 0;
  // activation_bit(kind) set: passes may fuse that activation into this op (Node::activation),
  // where the target backend supports the fused form too (PassContext::backend_supports).
  uint32_t fusable_activations = 0;
  // Inputs a file may give (-1: max_inputs). Those beyond are lowp's fused forms that passes make
  // (Conv's residual, MatMul's bias); the ONNX importer refuses them.
  int onnx_max_inputs = -1;
  // Null: one operation per input and output element (element-wise ops, data movement).
  WorkFn work = nullptr;
};

// Every ActivationKind but kNone.
inline constexpr uint32_t kAllActivations =
    ((1u << kNumActivationKinds) - 1) & ~activation_bit(ActivationKind::kNone);

// The indices of the bits set in `mask`, lowest first.
inline std::vector<size_t> input_indices(uint32_t mask) {
  std::vector<size_t> out;
  for (size_t i = 0; i < 32; ++i) {
    if (mask & (1u << i)) out.push_back(i);
  }
  return out;
}

// nullptr when the op is not supported.
const OpSchema* find_op_schema(const std::string& op_type);
// The schema of an op that runs in int8 (OpSchema::int8 is not kNone); nullptr otherwise.
const OpSchema* find_int8_schema(const std::string& op_type);
std::vector<std::string> supported_op_types();

// Infers a node's outputs, checking input count first. Errors name the node.
std::vector<TensorInfo> infer_node(const Node& node, const std::vector<TensorInfo>& inputs);

// The schema's work estimate for a node whose inputs and outputs were inferred.
double estimated_work(const Node& node, const std::vector<TensorInfo>& inputs,
                      const std::vector<TensorInfo>& outputs);

}  // namespace lowp

// Which lowering handles which op type.
#include <map>
#include <string>
#include <vector>

#include "backends/cpu/lowerings.h"

namespace lowp::cpu {

namespace {

// Every op here has a schema and a reference kernel (op_registry_test checks).
const LoweringTable& float_lowering_table() {
  static const LoweringTable kTable = {
      {"Conv", lower_conv},
      {"MaxPool", lower_pool},
      {"AveragePool", lower_pool},
      {"GlobalAveragePool", lower_global_pool},
      {"GlobalMaxPool", lower_global_pool},
      {"Gemm", lower_gemm},
      {"MatMul", lower_matmul},
      {"Relu", lower_eltwise},
      {"LeakyRelu", lower_eltwise},
      {"Sigmoid", lower_eltwise},
      {"Tanh", lower_eltwise},
      {"Clip", lower_eltwise},
      {"HardSwish", lower_eltwise},
      {"HardSigmoid", lower_eltwise},
      {"Add", lower_binary},
      {"Sub", lower_binary},
      {"Mul", lower_binary},
      {"Div", lower_binary},
      {"Softmax", lower_softmax},
      {"BatchNormalization", lower_batchnorm},
      {"Cast", lower_cast},
      {"ReduceMean", lower_reduce},
      {"ReduceSum", lower_reduce},
      {"ReduceL1", lower_reduce},
      {"ReduceL2", lower_reduce},
      {"ReduceSumSquare", lower_reduce},
      {"LayerNormalization", lower_layer_norm},
      {"Sqrt", lower_eltwise},
      {"Exp", lower_eltwise},
      {"Gelu", lower_eltwise},
      {"Pow", lower_eltwise},
      {"Transpose", lower_transpose},
      {"Slice", lower_slice},
      {"Gather", lower_gather},
      {"Concat", lower_concat},
      {"Pad", lower_pad},
      {"Expand", lower_expand},
  };
  return kTable;
}

Lowering find_in(const LoweringTable& table, const std::string& op_type) {
  auto it = table.find(op_type);
  return it == table.end() ? nullptr : it->second;
}

std::vector<std::string> op_types_of(const LoweringTable& table) {
  std::vector<std::string> ops;
  for (const auto& entry : table) ops.push_back(entry.first);
  return ops;
}

}  // namespace

Lowering find_lowering(const std::string& op_type) {
  return find_in(float_lowering_table(), op_type);
}

Lowering find_int8_lowering(const std::string& op_type) {
  return find_in(int8_lowering_table(), op_type);
}

std::vector<std::string> lowered_op_types() {
  std::vector<std::string> ops = op_types_of(float_lowering_table());
  for (const std::string& op : int8_lowered_op_types()) ops.push_back(op);
  return ops;
}

std::vector<std::string> int8_lowered_op_types() { return op_types_of(int8_lowering_table()); }

}  // namespace lowp::cpu

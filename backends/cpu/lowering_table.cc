// Which lowering handles which op type.
#include <map>
#include <string>

#include "backends/cpu/lowerings.h"

namespace lowp::cpu {

Lowering find_lowering(const std::string& op_type) {
  static const std::map<std::string, Lowering> kTable = {
      {"Conv", lower_conv},
      {"MaxPool", lower_pool},
      {"AveragePool", lower_pool},
      {"GlobalAveragePool", lower_global_pool},
      {"GlobalMaxPool", lower_global_pool},
      {"Gemm", lower_gemm},
      {"MatMul", lower_gemm},
      {"Relu", lower_eltwise},
      {"LeakyRelu", lower_eltwise},
      {"Sigmoid", lower_eltwise},
      {"Tanh", lower_eltwise},
      {"Clip", lower_eltwise},
      {"Elu", lower_eltwise},
      {"Abs", lower_eltwise},
      {"Exp", lower_eltwise},
      {"HardSwish", lower_eltwise},
      {"Add", lower_binary},
      {"Sub", lower_binary},
      {"Mul", lower_binary},
      {"Div", lower_binary},
      {"Softmax", lower_softmax},
      {"LogSoftmax", lower_softmax},
      {"BatchNormalization", lower_batchnorm},
      {"Cast", lower_cast},
  };
  auto it = kTable.find(op_type);
  return it == kTable.end() ? nullptr : it->second;
}

}  // namespace lowp::cpu

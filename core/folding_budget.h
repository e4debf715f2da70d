// The budget constant folding spends (FoldingLimits, lowp/options.h): every node folded at compile
// time is charged its output bytes and estimated work (OpSchema::work) before it runs, so a small
// file cannot make compiling allocate gigabytes or loop for hours.
#pragma once

#include <vector>

#include "lowp/op_schema.h"
#include "lowp/options.h"

namespace lowp {

class FoldingBudget {
 public:
  explicit FoldingBudget(const FoldingLimits& limits) : limits_(limits) {}
  // Charges folding `node` (inputs and inferred outputs given); throws lowp::Error (kUnsupported)
  // naming the node, the amount and the limit when that would exceed one.
  void charge(const Node& node, const std::vector<TensorInfo>& inputs,
              const std::vector<TensorInfo>& outputs);

 private:
  FoldingLimits limits_;
  double bytes_ = 0;
  double work_ = 0;
};

}  // namespace lowp

#include "core/folding_budget.h"

#include <cstdio>
#include <string>

#include "lowp/error.h"

namespace lowp {
namespace {

std::string amount(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3g", v);
  return buf;
}

[[noreturn]] void over(const Node& node, const std::string& what, double value, double limit,
                       const char* option) {
  throw_error(ErrorCode::kUnsupported, node.describe() + ": folding it at compile time needs " +
                                           amount(value) + " " + what + ", over the limit of " +
                                           amount(limit) + " (CompileOptions::folding." + option +
                                           ")");
}

}  // namespace

void FoldingBudget::charge(const Node& node, const std::vector<TensorInfo>& inputs,
                           const std::vector<TensorInfo>& outputs) {
  double bytes = 0;
  for (const TensorInfo& t : outputs) {
    if (t.present) bytes += static_cast<double>(element_count(t.dims)) * size_of(t.dtype);
  }
  const double work = estimated_work(node, inputs, outputs);
  if (bytes > static_cast<double>(limits_.max_node_bytes)) {
    over(node, "bytes", bytes, static_cast<double>(limits_.max_node_bytes), "max_node_bytes");
  }
  if (work > limits_.max_node_work)
    over(node, "operations", work, limits_.max_node_work, "max_node_work");
  bytes_ += bytes;
  work_ += work;
  if (bytes_ > static_cast<double>(limits_.max_total_bytes)) {
    over(node, "bytes in all", bytes_, static_cast<double>(limits_.max_total_bytes),
         "max_total_bytes");
  }
  if (work_ > limits_.max_total_work) {
    over(node, "operations in all", work_, limits_.max_total_work, "max_total_work");
  }
}

}  // namespace lowp

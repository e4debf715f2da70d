// Einsum equations (ONNX Einsum, numpy's notation: "bij,bjk->bik", "...ii->...i", "i,i"), parsed
// once into labels so that shape inference, the reference kernel and the decomposition pass read
// the same form. "..." becomes labels of its own, right-aligned across operands like numpy's
// broadcasting; without "->" the output is the ellipsis labels then the letters used once, in
// ASCII order.
#pragma once

#include <string>
#include <vector>

#include "lowp/tensor.h"

namespace lowp {

struct EinsumEquation {
  std::vector<std::vector<int>> inputs;  // one label per dimension of each operand
  std::vector<int> output;               // one label per output dimension
  int num_labels = 0;                    // labels are 0 .. num_labels - 1
  int num_ellipsis_labels = 0;           // labels 0 .. this - 1 stand for "..." (may broadcast)
};

// Parses `equation` for operands of the given ranks. Throws lowp::Error (kInvalidModel), the
// message prefixed with `where`, when the equation is malformed or does not fit the ranks.
EinsumEquation parse_einsum(const std::string& equation, const std::vector<size_t>& ranks,
                            const std::string& where);

// The size of every label from the operands' dims (-1: unknown). A label's occurrences must agree;
// an ellipsis label of size 1 broadcasts. Throws lowp::Error (kInvalidModel) naming `where`.
std::vector<int64_t> einsum_label_sizes(const EinsumEquation& eq, const std::vector<Dims>& dims,
                                        const std::string& where);

}  // namespace lowp

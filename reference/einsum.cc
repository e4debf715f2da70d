// Einsum, any equation (diagonals, sums, broadcast "..."): one walk over the output labels then
// the summed ones, each operand read through per-label strides (a label repeated in one operand
// adds its strides: the diagonal), products summed in double.
#include <algorithm>

#include "core/ops/broadcast.h"
#include "core/ops/einsum_equation.h"
#include "reference/float_io.h"
#include "reference/nn_kernel_list.h"
#include "reference/strided_loop.h"

namespace lowp::reference {

void einsum_kernel(const Node& node, const KernelInputs& in, const KernelOutputs& out) {
  std::vector<size_t> ranks;
  std::vector<Dims> dims;
  for (const Tensor* t : in) {
    ranks.push_back(static_cast<size_t>(t->rank()));
    dims.push_back(t->dims());
  }
  const EinsumEquation eq = parse_einsum(node.attr_string("equation", ""), ranks, node.describe());
  const std::vector<int64_t> sizes = einsum_label_sizes(eq, dims, node.describe());
  // Loop order: the output's labels, then every other label (summed).
  std::vector<int> loop = eq.output;
  for (int label = 0; label < eq.num_labels; ++label) {
    if (std::find(loop.begin(), loop.end(), label) == loop.end()) loop.push_back(label);
  }
  Dims loop_dims;
  for (int label : loop) loop_dims.push_back(sizes[static_cast<size_t>(label)]);
  std::vector<std::vector<int64_t>> strides;  // per operand, then the output
  for (size_t k = 0; k < in.size(); ++k) {
    const std::vector<int64_t> own = row_major_strides(dims[k]);
    std::vector<int64_t> s(loop.size(), 0);
    for (size_t d = 0; d < own.size(); ++d) {
      if (dims[k][d] == 1) continue;  // a broadcast "..." dim
      const auto at = std::find(loop.begin(), loop.end(), eq.inputs[k][d]) - loop.begin();
      s[static_cast<size_t>(at)] += own[d];
    }
    strides.push_back(std::move(s));
  }
  const std::vector<int64_t> out_own = row_major_strides(out[0]->dims());
  std::vector<int64_t> out_strides(loop.size(), 0);
  std::copy(out_own.begin(), out_own.end(), out_strides.begin());
  strides.push_back(out_strides);
  std::vector<std::vector<float>> values;
  for (const Tensor* t : in) values.push_back(load_floats(*t));
  std::vector<double> sum(static_cast<size_t>(out[0]->numel()), 0.0);
  const size_t n = in.size();
  for_each_strided(loop_dims, strides, [&](int64_t, const int64_t* offsets) {
    double p = 1.0;
    for (size_t k = 0; k < n; ++k) p *= values[k][static_cast<size_t>(offsets[k])];
    sum[static_cast<size_t>(offsets[n])] += p;
  });
  store_floats(std::vector<float>(sum.begin(), sum.end()), *out[0]);
}

}  // namespace lowp::reference

// Shape inference for BatchNormalization (inference form) and Softmax.
#include <string>

#include "core/ops/nn_geometry.h"
#include "core/ops/nn_infer.h"

namespace lowp::nn {

std::vector<TensorInfo> infer_batch_norm(const Node& node, const std::vector<TensorInfo>& in) {
  if (node.attr_int("training_mode", 0) != 0) {
    throw_unsupported(node, "training_mode is not supported");
  }
  if (node.outputs.size() > 1) {
    for (size_t i = 1; i < node.outputs.size(); ++i) {
      if (node.outputs[i]) throw_unsupported(node, "training outputs are not supported");
    }
  }
  require_rank(node, in, 0, 2, true);
  require_float(node, in, 0);
  const int64_t channels = in[0].dims[1];
  static const char* const kNames[] = {"", "scale", "B", "input_mean", "input_var"};
  for (size_t i = 1; i < 5; ++i) {
    require_rank(node, in, i, 1);
    require_float(node, in, i);
    if (channels >= 0 && in[i].dims[0] >= 0 && in[i].dims[0] != channels) {
      throw_invalid(node, std::string(kNames[i]) + " has " + std::to_string(in[i].dims[0]) +
                              " values, expected " + std::to_string(channels));
    }
  }
  return {output(in[0].dtype, in[0].dims)};
}

// LayerNormalization (opset 17): X normalised over the axes from `axis` on, times Scale, plus B
// (both broadcastable to those axes). Optional outputs Mean and InvStdDev (f32, `stash_type` 1)
// have X's dims with the normalised axes set to 1.
std::vector<TensorInfo> infer_layer_norm(const Node& node, const std::vector<TensorInfo>& in) {
  require_float(node, in, 0);
  const Dims& x = in[0].dims;
  const auto rank = static_cast<int64_t>(x.size());
  if (rank == 0) throw_invalid(node, "input must have rank >= 1");
  const int64_t axis = normalize_axis(node, node.attr_int("axis", -1), rank);
  if (node.attr_int("stash_type", 1) != 1) throw_unsupported(node, "stash_type must be 1 (f32)");
  const Dims normalised(x.begin() + axis, x.end());
  for (size_t i = 1; i < in.size(); ++i) {
    if (!in[i].present) continue;
    require_float(node, in, i);
    const Dims& d = in[i].dims;
    bool fits = d.size() <= normalised.size();
    for (size_t k = 0; fits && k < d.size(); ++k) {
      const int64_t want = normalised[normalised.size() - d.size() + k];
      fits = d[k] == 1 || d[k] == want || want < 0 || d[k] < 0;
    }
    if (!fits) {
      throw_invalid(node, std::string(i == 1 ? "Scale" : "B") + " dims " + dims_to_string(d) +
                              " do not broadcast to the normalised dims " +
                              dims_to_string(normalised));
    }
  }
  Dims stats = x;
  for (int64_t d = axis; d < rank; ++d) stats[static_cast<size_t>(d)] = 1;
  return {output(in[0].dtype, x), output(DataType::kF32, stats), output(DataType::kF32, stats)};
}

std::vector<TensorInfo> infer_softmax(const Node& node, const std::vector<TensorInfo>& in) {
  require_float(node, in, 0);
  const int64_t rank = static_cast<int64_t>(in[0].dims.size());
  if (rank == 0) throw_invalid(node, "input must have rank >= 1");
  normalize_axis(node, node.attr_int("axis", -1), rank);
  return {output(in[0].dtype, in[0].dims)};
}

}  // namespace lowp::nn

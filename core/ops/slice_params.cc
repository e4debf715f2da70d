#include "core/ops/slice_params.h"

#include <algorithm>
#include <cstdint>

#include "lowp/error.h"

namespace lowp {
namespace {

int64_t clamp_between(int64_t v, int64_t lo, int64_t hi) { return std::max(lo, std::min(v, hi)); }

}  // namespace

std::vector<SliceAxis> resolve_slice(const Node& node, const Dims& data, const Tensor& starts,
                                     const Tensor& ends, const Tensor* axes, const Tensor* steps) {
  const int64_t rank = static_cast<int64_t>(data.size());
  const std::vector<int64_t> start_v = starts.to_int64();
  const std::vector<int64_t> end_v = ends.to_int64();
  std::vector<int64_t> axis_v;
  if (axes) {
    axis_v = axes->to_int64();
  } else {
    for (size_t i = 0; i < start_v.size(); ++i) axis_v.push_back(static_cast<int64_t>(i));
  }
  std::vector<int64_t> step_v = steps ? steps->to_int64() : std::vector<int64_t>(start_v.size(), 1);
  if (end_v.size() != start_v.size() || axis_v.size() != start_v.size() ||
      step_v.size() != start_v.size()) {
    throw_error(ErrorCode::kInvalidModel,
                node.describe() + ": starts, ends, axes and steps must have the same length");
  }
  std::vector<SliceAxis> out(data.size());
  for (size_t d = 0; d < data.size(); ++d) out[d] = SliceAxis{0, 1, data[d]};
  std::vector<bool> seen(data.size(), false);
  for (size_t i = 0; i < start_v.size(); ++i) {
    int64_t axis = axis_v[i];
    if (axis < -rank || axis >= rank) {
      throw_error(ErrorCode::kInvalidModel, node.describe() + ": axis " + std::to_string(axis) +
                                                " is out of range for rank " +
                                                std::to_string(rank));
    }
    if (axis < 0) axis += rank;
    if (seen[static_cast<size_t>(axis)]) {
      throw_error(ErrorCode::kInvalidModel,
                  node.describe() + ": axis " + std::to_string(axis) + " is repeated");
    }
    seen[static_cast<size_t>(axis)] = true;
    const int64_t dim = data[static_cast<size_t>(axis)];
    const int64_t step = step_v[i];
    if (step == 0) throw_error(ErrorCode::kInvalidModel, node.describe() + ": step is 0");
    int64_t start = start_v[i];
    int64_t end = end_v[i];
    if (start < 0) start += dim;
    if (end < 0) end += dim;
    int64_t count = 0;
    if (step > 0) {
      start = clamp_between(start, 0, dim);
      end = clamp_between(end, 0, dim);
      if (end > start) count = 1 + (end - start - 1) / step;
    } else {
      start = clamp_between(start, 0, dim - 1);
      end = clamp_between(end, -1, dim - 1);
      const int64_t magnitude = step == INT64_MIN ? INT64_MAX : -step;
      if (dim > 0 && start > end) count = 1 + (start - end - 1) / magnitude;
    }
    out[static_cast<size_t>(axis)] = SliceAxis{start, step, count};
  }
  return out;
}

}  // namespace lowp

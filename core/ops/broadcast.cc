#include "core/ops/broadcast.h"

#include <algorithm>

#include "lowp/error.h"

namespace lowp {

std::optional<Dims> broadcast_dims(const Dims& a, const Dims& b) {
  const size_t rank = std::max(a.size(), b.size());
  Dims out(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Align from the right.
    const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da == db || db == 1) {
      out[i] = da;
    } else if (da == 1) {
      out[i] = db;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

Dims broadcast_dims_or_throw(const Node& node, const std::vector<Dims>& inputs) {
  Dims out;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (i == 0) {
      out = inputs[0];
      continue;
    }
    std::optional<Dims> next = broadcast_dims(out, inputs[i]);
    if (!next) {
      throw_error(ErrorCode::kInvalidModel, node.describe() + ": cannot broadcast " +
                                                dims_to_string(out) + " with " +
                                                dims_to_string(inputs[i]));
    }
    out = std::move(*next);
  }
  return out;
}

std::vector<int64_t> row_major_strides(const Dims& dims) {
  std::vector<int64_t> strides(dims.size(), 1);
  for (size_t i = dims.size(); i-- > 1;) strides[i - 1] = strides[i] * dims[i];
  return strides;
}

std::vector<int64_t> broadcast_strides(const Dims& in, const Dims& out) {
  const std::vector<int64_t> own = row_major_strides(in);
  std::vector<int64_t> strides(out.size(), 0);
  const size_t offset = out.size() - in.size();
  for (size_t i = 0; i < in.size(); ++i) {
    strides[offset + i] = (in[i] == 1 && out[offset + i] != 1) ? 0 : own[i];
  }
  return strides;
}

std::vector<float> broadcast_values(const std::vector<float>& values, const Dims& from,
                                    const Dims& to) {
  const std::vector<int64_t> strides = broadcast_strides(from, to);
  const std::vector<int64_t> out_strides = row_major_strides(to);
  std::vector<float> out(static_cast<size_t>(element_count(to)));
  for (size_t i = 0; i < out.size(); ++i) {
    int64_t offset = 0, rest = static_cast<int64_t>(i);
    for (size_t d = 0; d < to.size(); ++d) {
      offset += rest / out_strides[d] * strides[d];
      rest %= out_strides[d];
    }
    out[i] = values[static_cast<size_t>(offset)];
  }
  return out;
}

Dims left_padded(const Dims& dims, size_t rank) {
  Dims out(rank - dims.size(), 1);
  out.insert(out.end(), dims.begin(), dims.end());
  return out;
}

}  // namespace lowp

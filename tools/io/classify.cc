#include "tools/io/classify.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace lowp::io {

std::vector<float> softmax(std::span<const float> logits) {
  std::vector<float> out(logits.size());
  if (logits.empty()) return out;
  const float max = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (size_t i = 0; i < logits.size(); ++i) {
    out[i] = std::exp(logits[i] - max);
    sum += out[i];
  }
  for (float& v : out) v = static_cast<float>(v / sum);
  return out;
}

std::vector<int64_t> top_k(std::span<const float> scores, int64_t k) {
  std::vector<int64_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  const int64_t size = static_cast<int64_t>(order.size());
  const size_t n = static_cast<size_t>(std::clamp<int64_t>(k, 0, size));
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n), order.end(),
                    [&](int64_t a, int64_t b) {
                      return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
                    });
  order.resize(n);
  return order;
}

}  // namespace lowp::io

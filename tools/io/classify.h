// Turning logits into ranked class probabilities.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace lowp::io {

// Numerically stable softmax (subtracts the maximum first).
std::vector<float> softmax(std::span<const float> logits);

// Indices of the k largest scores, largest first (ties: lower index first); k is clamped to the
// number of scores.
std::vector<int64_t> top_k(std::span<const float> scores, int64_t k);

}  // namespace lowp::io

// Activation arena planning shared by the backends: gives every buffer an aligned offset in one
// arena so that buffers whose lifetimes overlap never share bytes. Greedy: largest buffer first,
// lowest gap that fits. Lifetimes are inclusive step ranges; a buffer with first < 0 is unused and
// gets offset 0.
#pragma once

#include <cstddef>
#include <vector>

namespace lowp {

struct ArenaBuffer {
  size_t bytes = 0;
  int first_step = -1;
  int last_step = -1;
};

struct ArenaPlan {
  std::vector<size_t> offsets;  // one per buffer
  size_t total_bytes = 0;
};

ArenaPlan plan_arena(const std::vector<ArenaBuffer>& buffers, size_t alignment);

}  // namespace lowp

#include "core/arena_planning.h"

#include <algorithm>

namespace lowp {

ArenaPlan plan_arena(const std::vector<ArenaBuffer>& buffers, size_t alignment) {
  ArenaPlan plan;
  plan.offsets.assign(buffers.size(), 0);
  std::vector<size_t> order;
  for (size_t i = 0; i < buffers.size(); ++i) {
    if (buffers[i].first_step >= 0) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return buffers[a].bytes > buffers[b].bytes; });

  struct Placed {
    size_t begin, end;
    int first, last;
  };
  std::vector<Placed> placed;
  for (size_t id : order) {
    const ArenaBuffer& buffer = buffers[id];
    const size_t size = (std::max<size_t>(buffer.bytes, 1) + alignment - 1) / alignment * alignment;
    std::vector<Placed> live;
    for (const Placed& p : placed) {
      if (p.first <= buffer.last_step && buffer.first_step <= p.last) live.push_back(p);
    }
    std::sort(live.begin(), live.end(),
              [](const Placed& a, const Placed& b) { return a.begin < b.begin; });
    size_t offset = 0;
    for (const Placed& p : live) {
      if (p.begin >= offset + size) break;
      offset = std::max(offset, p.end);
    }
    plan.offsets[id] = offset;
    placed.push_back({offset, offset + size, buffer.first_step, buffer.last_step});
    plan.total_bytes = std::max(plan.total_bytes, offset + size);
  }
  return plan;
}

}  // namespace lowp

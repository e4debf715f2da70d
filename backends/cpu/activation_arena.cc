#include "backends/cpu/activation_arena.h"

#include <algorithm>

#include "backends/cpu/dnnl_util.h"

namespace lowp::cpu {

size_t plan_activation_arena(std::vector<Slot>& slots) {
  std::vector<size_t> order;
  for (size_t i = 0; i < slots.size(); ++i) {
    if (slots[i].kind == SlotKind::kArena && slots[i].first_step >= 0) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return slots[a].bytes > slots[b].bytes; });

  struct Placed {
    size_t begin, end;
    int first, last;
  };
  std::vector<Placed> placed;
  size_t total = 0;
  for (size_t id : order) {
    Slot& slot = slots[id];
    size_t size = align_up(std::max<size_t>(slot.bytes, 1));
    std::vector<Placed> live;
    for (const Placed& p : placed) {
      if (p.first <= slot.last_step && slot.first_step <= p.last) live.push_back(p);
    }
    std::sort(live.begin(), live.end(),
              [](const Placed& a, const Placed& b) { return a.begin < b.begin; });
    size_t offset = 0;
    for (const Placed& p : live) {
      if (p.begin >= offset + size) break;
      offset = std::max(offset, p.end);
    }
    slot.offset = offset;
    placed.push_back({offset, offset + size, slot.first_step, slot.last_step});
    total = std::max(total, offset + size);
  }
  return total;
}

}  // namespace lowp::cpu

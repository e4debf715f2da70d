#include "backends/cpu/activation_arena.h"

#include "backends/cpu/dnnl_util.h"
#include "core/arena_planning.h"

namespace lowp::cpu {

size_t plan_activation_arena(std::vector<Slot>& slots) {
  std::vector<ArenaBuffer> buffers;
  for (const Slot& slot : slots) {
    const bool arena = slot.kind == SlotKind::kArena && slot.first_step >= 0;
    buffers.push_back({slot.bytes, arena ? slot.first_step : -1, slot.last_step});
  }
  const ArenaPlan plan = plan_arena(buffers, kAlignment);
  for (size_t i = 0; i < slots.size(); ++i) {
    if (buffers[i].first_step >= 0) slots[i].offset = plan.offsets[i];
  }
  return plan.total_bytes;
}

}  // namespace lowp::cpu

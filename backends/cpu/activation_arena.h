// Activation arena planning: gives every arena slot a 64-byte aligned offset in one buffer so that
// slots whose lifetimes overlap never share bytes. Greedy: largest slot first, lowest gap that
// fits.
#pragma once

#include <cstddef>
#include <vector>

#include "backends/cpu/program.h"

namespace lowp::cpu {

// Sets Slot::offset for every kArena slot and returns the arena size in bytes.
size_t plan_activation_arena(std::vector<Slot>& slots);

}  // namespace lowp::cpu

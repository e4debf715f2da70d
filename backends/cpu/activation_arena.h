// Activation arena planning for the CPU backend's slots (core/arena_planning.h, 64-byte
// aligned offsets).
#pragma once

#include <cstddef>
#include <vector>

#include "backends/cpu/program.h"

namespace lowp::cpu {

// Sets Slot::offset for every kArena slot and returns the arena size in bytes.
size_t plan_activation_arena(std::vector<Slot>& slots);

}  // namespace lowp::cpu

// Program: the CPU backend's lowering of a graph for one set of concrete input dims. Immutable
// once built and shared by every context: primitives are created once, every tensor lives in a
// Slot (a place in the activation arena, a caller's input / output buffer or a constant) and the
// steps run in order.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <variant>
#include <vector>

#include "lowp/graph.h"
#include "lowp/tensor.h"
#include "reference/reference_kernels.h"

namespace lowp::cpu {

enum class SlotKind { kArena, kInput, kOutput, kConstant };

struct Slot {
  SlotKind kind = SlotKind::kArena;
  size_t bytes = 0;
  size_t offset = 0;               // kArena: byte offset in the arena (set by planning)
  int index = -1;                  // kInput / kOutput: graph input / output index
  const void* constant = nullptr;  // kConstant
  int first_step = -1;             // liveness, in step indices
  int last_step = -1;
};

struct MemoryArg {
  int arg = 0;  // DNNL_ARG_*
  dnnl::memory::desc desc;
  int slot = -1;
};

// A oneDNN primitive with its arguments; the scratchpad is bound per context.
struct PrimitiveStep {
  const Node* node = nullptr;  // null for reorders at the graph edges
  std::string what;            // primitive kind, for error messages
  dnnl::primitive primitive;
  std::vector<MemoryArg> args;
  dnnl::memory::desc scratchpad;
};

// A plain byte copy between slots (same layout).
struct CopyStep {
  int src_slot = -1;
  int dst_slot = -1;
  size_t bytes = 0;
};

// One tensor argument of a reference kernel: a plain tensor in a slot, a constant, or omitted.
struct FallbackTensor {
  int slot = -1;
  DataType dtype = DataType::kUndefined;
  Dims dims;
  const Tensor* constant = nullptr;
  bool present() const { return slot >= 0 || constant != nullptr; }
};

struct FallbackStep {
  const Node* node = nullptr;
  reference::Kernel kernel = nullptr;
  std::vector<FallbackTensor> inputs;
  std::vector<FallbackTensor> outputs;
};

using Step = std::variant<PrimitiveStep, CopyStep, FallbackStep>;

struct Program {
  std::vector<Slot> slots;
  std::vector<Step> steps;
  size_t arena_bytes = 0;
  size_t scratchpad_bytes = 0;
  std::vector<std::string> node_lines;  // describe(): one per node
  std::deque<Tensor> folded;            // values computed while building (stable addresses)
  std::vector<std::shared_ptr<const void>> keep_alive;  // packed weights, reordered constants
};

}  // namespace lowp::cpu

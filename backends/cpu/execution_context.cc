#include "backends/cpu/execution_context.h"

#include <cstring>
#include <string>

#include "lowp/error.h"

namespace lowp::cpu {

namespace {
template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;
}  // namespace

CpuExecutionContext::CpuExecutionContext(const dnnl::engine& engine) : engine_(engine) {
  try {
    stream_ = dnnl::stream(engine_);
  } catch (const dnnl::error& e) {
    throw_dnnl_error(nullptr, "stream creation", e);
  }
}

void* CpuExecutionContext::slot_data(const Slot& slot, const std::vector<const Tensor*>& inputs,
                                     const std::vector<Tensor*>& outputs) const {
  switch (slot.kind) {
    case SlotKind::kArena:
      return static_cast<char*>(arena_.data()) + slot.offset;
    case SlotKind::kInput:
      return const_cast<void*>(inputs[static_cast<size_t>(slot.index)]->raw());
    case SlotKind::kOutput:
      return outputs[static_cast<size_t>(slot.index)]->raw();
    case SlotKind::kConstant:
      return const_cast<void*>(slot.constant);
  }
  return nullptr;
}

CpuExecutionContext::BoundProgram& CpuExecutionContext::bind(const Program& program) {
  if (arena_.size() < program.arena_bytes || scratchpad_.size() < program.scratchpad_bytes) {
    // Growing moves the buffers: every binding made so far is stale.
    bound_.clear();
    if (arena_.size() < program.arena_bytes) arena_ = AlignedBuffer(program.arena_bytes);
    if (scratchpad_.size() < program.scratchpad_bytes) {
      scratchpad_ = AlignedBuffer(program.scratchpad_bytes);
    }
  }
  auto it = bound_.find(&program);
  if (it != bound_.end()) return it->second;
  BoundProgram bound;
  bound.args.resize(program.steps.size());
  try {
    for (size_t i = 0; i < program.steps.size(); ++i) {
      const auto* step = std::get_if<PrimitiveStep>(&program.steps[i]);
      if (step == nullptr) continue;
      auto& args = bound.args[i];
      for (const MemoryArg& a : step->args) {
        const Slot& slot = program.slots[static_cast<size_t>(a.slot)];
        bool io = slot.kind == SlotKind::kInput || slot.kind == SlotKind::kOutput;
        void* data = io ? nullptr : slot_data(slot, {}, {});
        dnnl::memory memory(a.desc, engine_, data);
        args[a.arg] = memory;
        if (io) bound.io.push_back({memory, a.slot});
      }
      if (step->scratchpad.get_size() > 0) {
        args[DNNL_ARG_SCRATCHPAD] = dnnl::memory(step->scratchpad, engine_, scratchpad_.data());
      }
    }
  } catch (const dnnl::error& e) {
    throw_dnnl_error(nullptr, "memory binding", e);
  }
  return bound_.emplace(&program, std::move(bound)).first->second;
}

void CpuExecutionContext::run_fallback(const Program& program, const FallbackStep& step,
                                       const std::vector<const Tensor*>& inputs,
                                       const std::vector<Tensor*>& outputs) {
  std::vector<Tensor> views;
  views.reserve(step.inputs.size() + step.outputs.size());
  std::vector<const Tensor*> in;
  for (const FallbackTensor& t : step.inputs) {
    if (t.constant) {
      in.push_back(t.constant);
    } else if (t.slot >= 0) {
      void* data = slot_data(program.slots[static_cast<size_t>(t.slot)], inputs, outputs);
      views.push_back(Tensor::view(t.dtype, t.dims, data));
      in.push_back(&views.back());
    } else {
      in.push_back(nullptr);
    }
  }
  std::vector<Tensor*> out;
  for (const FallbackTensor& t : step.outputs) {
    if (t.slot < 0) {
      out.push_back(nullptr);
      continue;
    }
    void* data = slot_data(program.slots[static_cast<size_t>(t.slot)], inputs, outputs);
    views.push_back(Tensor::view(t.dtype, t.dims, data));
    std::memset(data, 0, views.back().bytes());
    out.push_back(&views.back());
  }
  step.kernel(*step.node, in, out);
}

void CpuExecutionContext::run(const Program& program, const std::vector<const Tensor*>& inputs,
                              const std::vector<Tensor*>& outputs) {
  BoundProgram& bound = bind(program);
  for (BoundArg& a : bound.io) {
    a.memory.set_data_handle(
        slot_data(program.slots[static_cast<size_t>(a.slot)], inputs, outputs));
  }
  for (size_t i = 0; i < program.steps.size(); ++i) {
    std::visit(Overloaded{
                   [&](const PrimitiveStep& step) {
                     try {
                       step.primitive.execute(stream_, bound.args[i]);
                     } catch (const dnnl::error& e) {
                       throw_dnnl_error(step.node, step.what, e);
                     }
                   },
                   [&](const CopyStep& step) {
                     stream_.wait();
                     void* dst = slot_data(program.slots[static_cast<size_t>(step.dst_slot)],
                                           inputs, outputs);
                     const void* src = slot_data(program.slots[static_cast<size_t>(step.src_slot)],
                                                 inputs, outputs);
                     if (dst != src && step.bytes > 0) std::memcpy(dst, src, step.bytes);
                   },
                   [&](const FallbackStep& step) {
                     stream_.wait();
                     run_fallback(program, step, inputs, outputs);
                   },
               },
               program.steps[i]);
  }
  try {
    stream_.wait();
  } catch (const dnnl::error& e) {
    throw_dnnl_error(nullptr, "stream wait", e);
  }
}

}  // namespace lowp::cpu

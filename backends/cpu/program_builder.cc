#include "backends/cpu/program_builder.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <set>

#include "backends/cpu/activation_arena.h"
#include "backends/cpu/dnnl_util.h"
#include "lowp/error.h"
#include "reference/reference_executor.h"
#include "reference/reference_kernels.h"

namespace lowp::cpu {

namespace {

size_t value_bytes(DataType dtype, const Dims& dims, const dnnl::memory::desc& desc) {
  if (has_dnnl_layout(dtype) && !is_plain(desc)) return desc.get_size();
  return static_cast<size_t>(element_count(dims)) * size_of(dtype);
}

bool is_float_dnnl(DataType dtype) { return dtype == DataType::kF32 || dtype == DataType::kBF16; }

bool is_int8(DataType dtype) { return dtype == DataType::kS8 || dtype == DataType::kU8; }

// True when an s8 / u8 input or output of `node` carries QuantParams (the int8 IR contract).
bool is_quantized_node(const Node& node, const std::vector<TensorInfo>& in,
                       const std::vector<TensorInfo>& out) {
  if (node.op_type == "QuantizeLinear" || node.op_type == "DequantizeLinear") return true;
  for (size_t i = 0; i < node.inputs.size() && i < in.size(); ++i) {
    const Value* v = node.inputs[i];
    if (v && in[i].present && is_int8(in[i].dtype) && v->quant) return true;
  }
  for (size_t i = 0; i < node.outputs.size() && i < out.size(); ++i) {
    const Value* v = node.outputs[i];
    if (v && out[i].present && is_int8(out[i].dtype) && v->quant) return true;
  }
  return false;
}

bool is_alias_op(const std::string& op) {
  static const std::set<std::string> kOps = {"Reshape",   "Flatten",  "Squeeze",
                                             "Unsqueeze", "Identity", "Dropout"};
  return kOps.count(op) != 0;
}

}  // namespace

ProgramBuilder::ProgramBuilder(const Graph& graph, const dnnl::engine& engine, WeightCache& weights,
                               const std::vector<Dims>& input_dims,
                               const std::vector<const Tensor*>& known)
    : graph_(graph),
      engine_(engine),
      stream_(engine),
      weights_(weights),
      input_dims_(input_dims),
      known_inputs_(known),
      program_(std::make_unique<Program>()) {}

const ProgramBuilder::ValueState& ProgramBuilder::state(const Value* value) {
  auto it = values_.find(value);
  if (it != values_.end()) return it->second;
  if (value->is_constant()) {
    const Tensor& t = *value->constant;
    ValueState s;
    s.dtype = t.dtype();
    s.dims = t.dims();
    s.known = &t;
    s.desc = plain_desc(t.dims(), t.dtype());
    s.slot = constant_slot(t.raw(), t.bytes());
    return values_.emplace(value, std::move(s)).first->second;
  }
  throw Error(ErrorCode::kInvalidModel,
              "cpu backend: value '" + value->name + "' is used before it is produced");
}

int ProgramBuilder::constant_slot(const void* data, size_t bytes) {
  Slot slot;
  slot.kind = SlotKind::kConstant;
  slot.constant = data;
  slot.bytes = bytes;
  program_->slots.push_back(slot);
  return static_cast<int>(program_->slots.size()) - 1;
}

int ProgramBuilder::new_arena_slot(size_t bytes) {
  Slot slot;
  slot.kind = SlotKind::kArena;
  slot.bytes = bytes;
  program_->slots.push_back(slot);
  return static_cast<int>(program_->slots.size()) - 1;
}

void ProgramBuilder::touch(int slot) {
  Slot& s = program_->slots[static_cast<size_t>(slot)];
  int step = static_cast<int>(program_->steps.size());
  if (s.first_step < 0) s.first_step = step;
  s.last_step = std::max(s.last_step, step);
}

void ProgramBuilder::define(const Value* value, DataType dtype, const Dims& dims, int slot,
                            const dnnl::memory::desc& desc) {
  ValueState s;
  s.dtype = dtype;
  s.dims = dims;
  s.slot = slot;
  s.desc = (!has_dnnl_layout(dtype) || is_plain(desc)) ? plain_desc(dims, dtype) : desc;
  values_[value] = std::move(s);
  if (program_->slots[static_cast<size_t>(slot)].kind == SlotKind::kArena) {
    holders_[slot].push_back(value);
  }
}

int ProgramBuilder::place_output(const Value* value, DataType dtype, const Dims& dims,
                                 const dnnl::memory::desc& desc) {
  size_t bytes = value_bytes(dtype, dims, desc);
  bool plain = !has_dnnl_layout(dtype) || is_plain(desc);
  bool is_input =
      std::find(graph_.inputs.begin(), graph_.inputs.end(), value) != graph_.inputs.end();
  int slot = -1;
  if (plain && !is_input) {
    for (size_t j = 0; j < graph_.outputs.size(); ++j) {
      if (graph_.outputs[j] == value && !output_taken_[j]) {
        output_taken_[j] = true;
        slot = output_slots_[j];
        program_->slots[static_cast<size_t>(slot)].bytes = bytes;
        break;
      }
    }
  }
  if (slot < 0) slot = new_arena_slot(bytes);
  define(value, dtype, dims, slot, desc);
  return slot;
}

int ProgramBuilder::overwritable_slot(const Value* value, const dnnl::memory::desc& desc,
                                      const std::vector<const Value*>& other) {
  const ValueState& s = state(value);
  if (!has_dnnl_layout(s.dtype) || !(s.desc == desc)) return -1;
  if (program_->slots[static_cast<size_t>(s.slot)].kind != SlotKind::kArena) return -1;
  for (const Value* holder : holders_[s.slot]) {
    auto it = last_use_.find(holder);
    if (it != last_use_.end() && it->second > node_index_) return -1;
  }
  for (const Value* o : other) {
    if (o == nullptr) continue;
    if (o == value) return -1;
    auto it = values_.find(o);
    if (it != values_.end() && it->second.slot == s.slot) return -1;
  }
  return s.slot;
}

int ProgramBuilder::place_sum_destination(const Node* node, const Value* residual,
                                          DataType sum_dtype, const Value* dst, DataType dst_dtype,
                                          const Dims& dims, const dnnl::memory::desc& dst_desc,
                                          const Value* src, int src_slot, bool* in_place) {
  int slot = sum_dtype == dst_dtype ? overwritable_slot(residual, dst_desc, {src}) : -1;
  *in_place = slot >= 0 && slot != src_slot;
  if (*in_place) {
    define(dst, dst_dtype, dims, slot, dst_desc);
    return slot;
  }
  const ValueState& r = state(residual);
  const int r_slot = r.slot;
  const dnnl::memory::desc r_desc = r.desc;
  slot = place_output(dst, dst_dtype, dims, dst_desc);
  add_transfer(node, r_slot, r_desc, slot, with_data_type(dst_desc, sum_dtype));
  return slot;
}

bool ProgramBuilder::is_graph_output(const Value* value) const {
  return std::find(graph_.outputs.begin(), graph_.outputs.end(), value) != graph_.outputs.end();
}

int ProgramBuilder::place_elementwise_output(const Value* src, const Value* dst, const Dims& dims,
                                             const dnnl::memory::desc& desc,
                                             const std::vector<const Value*>& other) {
  const DataType dtype = state(src).dtype;
  int slot = is_graph_output(dst) ? -1 : overwritable_slot(src, desc, other);
  if (slot >= 0) {
    define(dst, dtype, dims, slot, desc);
    return slot;
  }
  return place_output(dst, dtype, dims, desc);
}

void ProgramBuilder::add_primitive(const Node* node, const std::string& what,
                                   dnnl::primitive primitive, std::vector<MemoryArg> args,
                                   const dnnl::memory::desc& scratchpad) {
  for (const MemoryArg& a : args) touch(a.slot);
  program_->scratchpad_bytes = std::max(program_->scratchpad_bytes, scratchpad.get_size());
  PrimitiveStep step;
  step.node = node;
  step.what = what;
  step.primitive = std::move(primitive);
  step.args = std::move(args);
  step.scratchpad = scratchpad;
  program_->steps.emplace_back(std::move(step));
}

void ProgramBuilder::add_copy(int src_slot, int dst_slot, size_t bytes) {
  touch(src_slot);
  touch(dst_slot);
  program_->steps.emplace_back(CopyStep{src_slot, dst_slot, bytes});
}

void ProgramBuilder::add_transfer(const Node* node, int src_slot,
                                  const dnnl::memory::desc& src_desc, int dst_slot,
                                  const dnnl::memory::desc& dst_desc) {
  if (src_desc == dst_desc) {
    add_copy(src_slot, dst_slot, src_desc.get_size());
    return;
  }
  try {
    dnnl::reorder::primitive_desc pd(engine_, src_desc, engine_, dst_desc, default_attr());
    add_primitive(node, "reorder " + layout_name(src_desc) + "->" + layout_name(dst_desc),
                  dnnl::reorder(pd),
                  {{DNNL_ARG_FROM, src_desc, src_slot}, {DNNL_ARG_TO, dst_desc, dst_slot}},
                  pd.scratchpad_desc());
  } catch (const dnnl::error& e) {
    throw_dnnl_error(node, "reorder", e);
  }
}

const void* ProgramBuilder::keep(std::shared_ptr<void> buffer) {
  const void* data = buffer.get();
  program_->keep_alive.push_back(std::move(buffer));
  return data;
}

std::shared_ptr<void> ProgramBuilder::reorder_now(const Node* node,
                                                  const dnnl::memory::desc& src_desc,
                                                  const void* src, const dnnl::memory::desc& want) {
  std::shared_ptr<void> buffer = make_shared_buffer(want.get_size());
  try {
    dnnl::memory from(src_desc, engine_, const_cast<void*>(src));
    dnnl::memory to(want, engine_, buffer.get());
    dnnl::reorder(from, to).execute(stream_, from, to);
    stream_.wait();
  } catch (const dnnl::error& e) {
    throw_dnnl_error(node, "constant reorder", e);
  }
  return buffer;
}

const void* ProgramBuilder::pack_weights(const Node* node, int which,
                                         const dnnl::memory::desc& src_desc, const void* src,
                                         const dnnl::memory::desc& want) {
  auto find = [&]() -> std::shared_ptr<void> {
    for (const PackedWeights& w : weights_.entries) {
      if (w.node == node && w.which == which && w.desc == want) return w.data;
    }
    return nullptr;
  };
  std::shared_ptr<void> buffer;
  {
    std::lock_guard<std::mutex> lock(weights_.mutex);
    buffer = find();
  }
  if (!buffer) {
    // Packed outside the lock; when another builder packed the same weights meanwhile, its copy
    // is the one kept.
    std::shared_ptr<void> packed = reorder_now(node, src_desc, src, want);
    std::lock_guard<std::mutex> lock(weights_.mutex);
    buffer = find();
    if (!buffer) {
      buffer = packed;
      weights_.entries.push_back({node, which, want, buffer});
    }
  }
  program_->keep_alive.push_back(buffer);
  return buffer.get();
}

int ProgramBuilder::slot_in_layout(const Value* value, const dnnl::memory::desc& desc) {
  const ValueState& s = state(value);
  if (s.desc == desc) return s.slot;
  for (const auto& [d, slot] : s.converted) {
    if (d == desc) return slot;
  }
  int slot = -1;
  const Slot& src = program_->slots[static_cast<size_t>(s.slot)];
  if (src.kind == SlotKind::kConstant) {
    const void* data = keep(reorder_now(nullptr, s.desc, src.constant, desc));
    slot = constant_slot(data, desc.get_size());
  } else {
    slot = new_arena_slot(desc.get_size());
    add_transfer(nullptr, s.slot, s.desc, slot, desc);
    holders_[slot].push_back(value);
  }
  values_[value].converted.emplace_back(desc, slot);
  return slot;
}

int ProgramBuilder::slot_plain(const Value* value) {
  const ValueState& s = state(value);
  if (!has_dnnl_layout(s.dtype)) return s.slot;
  return slot_in_layout(value, plain_desc(s.dims, s.dtype));
}

void ProgramBuilder::build_inputs() {
  if (input_dims_.size() != graph_.inputs.size()) {
    throw Error(ErrorCode::kInvalidArgument,
                "cpu backend: expected " + std::to_string(graph_.inputs.size()) + " inputs, got " +
                    std::to_string(input_dims_.size()));
  }
  for (size_t i = 0; i < graph_.inputs.size(); ++i) {
    const Value* v = graph_.inputs[i];
    Slot slot;
    slot.kind = SlotKind::kInput;
    slot.index = static_cast<int>(i);
    slot.bytes = static_cast<size_t>(element_count(input_dims_[i])) * size_of(v->dtype);
    program_->slots.push_back(slot);
    ValueState s;
    s.dtype = v->dtype;
    s.dims = input_dims_[i];
    s.known = known_inputs_[i];
    s.slot = static_cast<int>(program_->slots.size()) - 1;
    s.desc = plain_desc(s.dims, s.dtype);
    values_[v] = std::move(s);
  }
  for (size_t j = 0; j < graph_.outputs.size(); ++j) {
    Slot slot;
    slot.kind = SlotKind::kOutput;
    slot.index = static_cast<int>(j);
    program_->slots.push_back(slot);
    output_slots_.push_back(static_cast<int>(program_->slots.size()) - 1);
  }
  output_taken_.assign(graph_.outputs.size(), false);
  const auto& nodes = graph_.nodes();
  for (size_t n = 0; n < nodes.size(); ++n) {
    for (const Value* in : nodes[n]->inputs) {
      if (in) last_use_[in] = static_cast<int>(n);
    }
  }
  for (const Value* out : graph_.outputs) last_use_[out] = INT_MAX;
}

std::unique_ptr<Program> ProgramBuilder::build() {
  build_inputs();
  const auto& nodes = graph_.nodes();
  for (size_t n = 0; n < nodes.size(); ++n) {
    const Node& node = *nodes[n];
    node_index_ = static_cast<int>(n);
    std::vector<TensorInfo> in;
    for (const Value* v : node.inputs) {
      TensorInfo info;
      if (v == nullptr) {
        info.present = false;
      } else {
        const ValueState& s = state(v);
        info.dtype = s.dtype;
        info.dims = s.dims;
        info.value = s.known;
      }
      in.push_back(info);
    }
    std::vector<TensorInfo> out = infer_node(node, in);
    current_line_.clear();
    lower(node, in, out);
    program_->node_lines.push_back(node.name + " " + node.op_type + " -> " + current_line_);
  }
  write_graph_outputs();
  program_->arena_bytes = plan_activation_arena(program_->slots);
  return std::move(program_);
}

void ProgramBuilder::lower(const Node& node, const std::vector<TensorInfo>& in,
                           const std::vector<TensorInfo>& out) {
  if (fold(node, in, out)) return;
  if (alias(node, in, out)) return;
  // Quantized nodes (an s8 / u8 operand carrying QuantParams) go to the int8 lowerings; a
  // quantized node that falls back says so loudly.
  if (is_quantized_node(node, in, out)) {
    if (Lowering lowering = find_int8_lowering(node.op_type)) {
      if (lowering(*this, node, in, out)) return;
    }
    fallback(node, in, out);
    describe_current("fallback reference (slow)");
    return;
  }
  // Float lowerings take f32 and bf16 tensors (each checks the mix it supports) and constant
  // parameters of any type (ReduceMean's axes); others fall back.
  bool float_types = true;
  for (const TensorInfo& i : in)
    float_types = float_types && (!i.present || is_float_dnnl(i.dtype) || i.value);
  for (const TensorInfo& o : out)
    float_types = float_types && (!o.present || is_float_dnnl(o.dtype));
  if (Lowering lowering = find_lowering(node.op_type); lowering && float_types) {
    if (lowering(*this, node, in, out)) return;
  }
  fallback(node, in, out);
}

bool ProgramBuilder::fold(const Node& node, const std::vector<TensorInfo>& in,
                          const std::vector<TensorInfo>& out) {
  bool any = false;
  bool all_known = true;
  for (const TensorInfo& i : in) {
    if (!i.present) continue;
    any = true;
    all_known = all_known && i.value != nullptr;
  }
  std::vector<Tensor> results;
  if (node.op_type == "Shape" && !in.empty() && in[0].present) {
    const Dims& dims = in[0].dims;
    int64_t rank = static_cast<int64_t>(dims.size());
    int64_t start = node.attr_int("start", 0);
    int64_t end = node.attr_int("end", rank);
    if (start < 0) start += rank;
    if (end < 0) end += rank;
    start = std::clamp<int64_t>(start, 0, rank);
    end = std::clamp<int64_t>(end, start, rank);
    Tensor t(DataType::kS64, {end - start});
    for (int64_t i = start; i < end; ++i)
      t.data<int64_t>()[i - start] = dims[static_cast<size_t>(i)];
    results.push_back(std::move(t));
  } else if (any && all_known) {
    std::vector<const Tensor*> inputs;
    for (const TensorInfo& i : in) inputs.push_back(i.present ? i.value : nullptr);
    fold_budget_.charge(node, in, out);
    results = reference::run_node(node, inputs);
  } else {
    return false;
  }
  for (size_t i = 0; i < node.outputs.size() && i < results.size(); ++i) {
    const Value* v = node.outputs[i];
    if (v == nullptr || (i < out.size() && !out[i].present)) continue;
    program_->folded.push_back(std::move(results[i]));
    const Tensor& t = program_->folded.back();
    int slot = constant_slot(t.raw(), t.bytes());
    define(v, t.dtype(), t.dims(), slot, plain_desc(t.dims()));
    values_[v].known = &t;
  }
  describe_current("folded at compile time");
  return true;
}

bool ProgramBuilder::alias(const Node& node, const std::vector<TensorInfo>& in,
                           const std::vector<TensorInfo>& out) {
  if (!is_alias_op(node.op_type) || in.empty() || !in[0].present || out.empty()) return false;
  for (size_t i = 1; i < node.outputs.size(); ++i) {
    const Value* extra = node.outputs[i];
    if (extra && i < out.size() && out[i].present && last_use_.count(extra)) {
      return false;  // e.g. Dropout's mask is used
    }
  }
  const Value* src = node.inputs[0];
  const Value* dst = node.outputs[0];
  if (dst == nullptr || out[0].dtype != in[0].dtype ||
      element_count(out[0].dims) != element_count(in[0].dims)) {
    return false;
  }
  int slot = slot_plain(src);
  define(dst, out[0].dtype, out[0].dims, slot, plain_desc(out[0].dims));
  describe_current("alias (no copy)");
  return true;
}

void ProgramBuilder::fallback(const Node& node, const std::vector<TensorInfo>& in,
                              const std::vector<TensorInfo>& out) {
  reference::Kernel kernel = reference::find_kernel(node.op_type);
  if (kernel == nullptr) {
    throw Error(ErrorCode::kUnsupported,
                node.describe() + ": no CPU lowering and no reference kernel for this op");
  }
  FallbackStep step;
  step.node = &node;
  step.kernel = kernel;
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    FallbackTensor t;
    const Value* v = node.inputs[i];
    if (v != nullptr) {
      const ValueState& s = state(v);
      t.dtype = s.dtype;
      t.dims = s.dims;
      if (s.known && program_->slots[static_cast<size_t>(s.slot)].kind == SlotKind::kConstant) {
        t.constant = s.known;
      } else {
        t.slot = slot_plain(v);  // may add a reorder step: touched below, at the step's index
      }
    }
    step.inputs.push_back(std::move(t));
  }
  for (size_t i = 0; i < node.outputs.size(); ++i) {
    FallbackTensor t;
    const Value* v = node.outputs[i];
    if (v != nullptr && i < out.size() && out[i].present) {
      t.dtype = out[i].dtype;
      t.dims = out[i].dims;
      // The desc carries the element type for every type oneDNN knows (f32, bf16, s8, u8, s32).
      const dnnl::memory::desc desc =
          has_dnnl_layout(t.dtype) ? plain_desc(t.dims, t.dtype) : plain_desc(t.dims);
      t.slot = place_output(v, t.dtype, t.dims, desc);
    }
    step.outputs.push_back(std::move(t));
  }
  // Every slot is live at this step's own index, known only now: the layout conversions of later
  // inputs were appended before it. (Touching an input as soon as it was converted let a later
  // input's conversion overwrite it: a wrong Concat of several blocked-layout branches.)
  for (const auto* tensors : {&step.inputs, &step.outputs}) {
    for (const FallbackTensor& t : *tensors) {
      if (t.slot >= 0) touch(t.slot);
    }
  }
  program_->steps.emplace_back(std::move(step));
  describe_current("fallback reference");
}

void ProgramBuilder::write_graph_outputs() {
  for (size_t j = 0; j < graph_.outputs.size(); ++j) {
    const Value* v = graph_.outputs[j];
    const ValueState& s = state(v);
    int dst = output_slots_[j];
    if (s.slot == dst) continue;
    size_t plain_bytes = static_cast<size_t>(element_count(s.dims)) * size_of(s.dtype);
    program_->slots[static_cast<size_t>(dst)].bytes = plain_bytes;
    if (has_dnnl_layout(s.dtype) && !is_plain(s.desc)) {
      add_transfer(nullptr, s.slot, s.desc, dst, plain_desc(s.dims, s.dtype));
    } else {
      add_copy(s.slot, dst, plain_bytes);
    }
  }
}

}  // namespace lowp::cpu

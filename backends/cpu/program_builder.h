// ProgramBuilder: lowers a Graph into a Program for one set of concrete input dims. It walks the
// nodes in order, infers dims, folds nodes whose inputs are all known, lets the per-op lowerings
// (conv_lowering.cc, ...) create oneDNN primitives and falls back to reference kernels otherwise.
// It tracks where each value lives and in which layout, inserts reorders only where a consumer
// needs another layout, and finally plans the activation arena.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <utility>
#include <vector>

#include "backends/cpu/program.h"
#include "core/folding_budget.h"
#include "lowp/graph.h"
#include "lowp/op_schema.h"

namespace lowp::cpu {

// Weights reordered into a primitive's preferred layout, shared by all Programs of a model.
struct PackedWeights {
  const Node* node = nullptr;
  int which = 0;
  dnnl::memory::desc desc;
  std::shared_ptr<void> data;
};
// Programs for new shapes are built while other threads run (cpu_compiled_model.cc): the cache
// they share has its own lock.
struct WeightCache {
  std::mutex mutex;
  std::vector<PackedWeights> entries;
};

class ProgramBuilder {
 public:
  struct ValueState {
    DataType dtype = DataType::kUndefined;
    Dims dims;
    const Tensor* known = nullptr;  // contents known while building (constants, folded values)
    int slot = -1;
    dnnl::memory::desc desc;  // layout of the bytes in `slot` (f32, bf16, s8, u8)
    std::vector<std::pair<dnnl::memory::desc, int>> converted;  // same value in other layouts
  };

  // `inputs` holds one tensor per graph input (its dims; its contents when `known[i]`).
  ProgramBuilder(const Graph& graph, const dnnl::engine& engine, WeightCache& weights,
                 const std::vector<Dims>& input_dims, const std::vector<const Tensor*>& known);
  std::unique_ptr<Program> build();

  // ---- for the lowerings ------------------------------------------------------------------
  const dnnl::engine& engine() const { return engine_; }
  const ValueState& state(const Value* value);
  bool is_graph_output(const Value* value) const;
  // The slot holding `value` laid out as `desc`, reordering (once) when it is laid out otherwise.
  int slot_in_layout(const Value* value, const dnnl::memory::desc& desc);
  int slot_plain(const Value* value);
  // Where a node output produced in layout `desc` goes: the caller's output buffer when the value
  // is a graph output and `desc` is plain, else a new arena slot. Defines the value.
  int place_output(const Value* value, DataType dtype, const Dims& dims,
                   const dnnl::memory::desc& desc);
  // The slot of `value` when the current node may overwrite it in place (arena, laid out as
  // `desc`, no later reader, not a graph output, not shared with `other`); -1 otherwise.
  int overwritable_slot(const Value* value, const dnnl::memory::desc& desc,
                        const std::vector<const Value*>& other);
  // Defines `value` as living in `slot` (e.g. an in-place result or an alias).
  void define(const Value* value, DataType dtype, const Dims& dims, int slot,
              const dnnl::memory::desc& desc);
  // For an element-wise result laid out like `src`: `src`'s slot when it may be overwritten in
  // place (and `dst` is not a graph output), else place_output(). `other`: the node's other inputs.
  int place_elementwise_output(const Value* src, const Value* dst, const Dims& dims,
                               const dnnl::memory::desc& desc,
                               const std::vector<const Value*>& other);
  // The destination of a node whose `residual` input is added into it by oneDNN's sum post-op:
  // the residual's own slot when it may be overwritten in place (and `sum_dtype`, the type the
  // sum reads, is `dst_dtype`), else a new output slot the residual is transferred into first,
  // as `dst_desc` with element type `sum_dtype`. Defines `dst`; `in_place` says which happened.
  int place_sum_destination(const Node* node, const Value* residual, DataType sum_dtype,
                            const Value* dst, DataType dst_dtype, const Dims& dims,
                            const dnnl::memory::desc& dst_desc, const Value* src, int src_slot,
                            bool* in_place);
  int new_arena_slot(size_t bytes);
  int constant_slot(const void* data, size_t bytes);
  void add_primitive(const Node* node, const std::string& what, dnnl::primitive primitive,
                     std::vector<MemoryArg> args, const dnnl::memory::desc& scratchpad);
  void add_copy(int src_slot, int dst_slot, size_t bytes);
  // Copies / reorders `src` (laid out as src_desc) into `dst_slot` laid out as dst_desc.
  void add_transfer(const Node* node, int src_slot, const dnnl::memory::desc& src_desc,
                    int dst_slot, const dnnl::memory::desc& dst_desc);
  // Constant data reordered into `want` once (cached per model by node / which / layout).
  const void* pack_weights(const Node* node, int which, const dnnl::memory::desc& src_desc,
                           const void* src, const dnnl::memory::desc& want);
  // Stores a buffer the program must keep alive (e.g. scaled bias) and returns its data.
  const void* keep(std::shared_ptr<void> buffer);
  void describe_current(const std::string& text) { current_line_ = text; }

 private:
  void build_inputs();
  void lower(const Node& node, const std::vector<TensorInfo>& in,
             const std::vector<TensorInfo>& out);
  bool fold(const Node& node, const std::vector<TensorInfo>& in,
            const std::vector<TensorInfo>& out);
  bool alias(const Node& node, const std::vector<TensorInfo>& in,
             const std::vector<TensorInfo>& out);
  void fallback(const Node& node, const std::vector<TensorInfo>& in,
                const std::vector<TensorInfo>& out);
  void write_graph_outputs();
  void touch(int slot);
  std::shared_ptr<void> reorder_now(const Node* node, const dnnl::memory::desc& src_desc,
                                    const void* src, const dnnl::memory::desc& want);

  const Graph& graph_;
  dnnl::engine engine_;
  dnnl::stream stream_;
  WeightCache& weights_;
  std::vector<Dims> input_dims_;
  std::vector<const Tensor*> known_inputs_;
  std::unique_ptr<Program> program_;
  std::map<const Value*, ValueState> values_;
  std::map<const Value*, int> last_use_;              // last consuming node index
  std::map<int, std::vector<const Value*>> holders_;  // values living in each arena slot
  std::vector<int> output_slots_;
  std::vector<bool> output_taken_;
  int node_index_ = 0;
  std::string current_line_;
  // Nodes whose inputs are all known (value-dependent shapes) are folded here with the reference
  // kernels: under the default limits, as the constant-folding pass's.
  FoldingBudget fold_budget_{FoldingLimits{}};
};

// Per-op lowerings; each returns false (having changed nothing) when it does not handle the node.
using Lowering = bool (*)(ProgramBuilder& builder, const Node& node,
                          const std::vector<TensorInfo>& in, const std::vector<TensorInfo>& out);
using LoweringTable = std::map<std::string, Lowering>;
// The float lowerings (lowering_table.cc) and those of quantized nodes (the int8 IR contract,
// int8_lowering.cc's int8_lowering_table()).
Lowering find_lowering(const std::string& op_type);
Lowering find_int8_lowering(const std::string& op_type);
const LoweringTable& int8_lowering_table();
// The op types the CPU backend lowers to oneDNN (float and int8 tables); others fall back.
std::vector<std::string> lowered_op_types();
std::vector<std::string> int8_lowered_op_types();

}  // namespace lowp::cpu

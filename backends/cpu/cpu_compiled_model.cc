#include "backends/cpu/cpu_compiled_model.h"

#include <omp.h>

#include <typeinfo>

#include "backends/cpu/cpu_precision.h"
#include "backends/cpu/dnnl_util.h"
#include "backends/cpu/execution_context.h"
#include "backends/cpu/fp16_emulation.h"
#include "lowp/error.h"

namespace lowp::cpu {

namespace {
constexpr int64_t kMaxKeyedElements = 64;

bool is_keyed_input(const Value& v) {
  if (v.dtype != DataType::kS64 && v.dtype != DataType::kS32) return false;
  if (!v.shape.has_rank()) return true;
  auto dims = v.shape.concrete();
  return !dims || element_count(*dims) <= kMaxKeyedElements;
}
}  // namespace

CpuCompiledModel::CpuCompiledModel(std::shared_ptr<const Graph> graph,
                                   const CompileOptions& options)
    : graph_(std::move(graph)), options_(options), programs_(options.program_cache_size) {
  if (!graph_) throw Error(ErrorCode::kInvalidArgument, "compile_for_cpu: null graph");
  check_bf16_support(*graph_, options_.precision);
  if (graph_uses(*graph_, DataType::kF16)) {
    precision_note_ = cpu_precision_note(Precision::kFp16);
    graph_ = emulate_fp16(graph_);
  } else if (options_.precision == Precision::kBf16 || graph_uses(*graph_, DataType::kBF16)) {
    precision_note_ = cpu_precision_note(Precision::kBf16);
  } else if (options_.precision == Precision::kInt8 || graph_is_quantized(*graph_)) {
    precision_note_ = cpu_precision_note(Precision::kInt8);
  }
  try {
    engine_ = dnnl::engine(dnnl::engine::kind::cpu, 0);
  } catch (const dnnl::error& e) {
    throw_dnnl_error(nullptr, "CPU engine creation", e);
  }
  for (const Value* v : graph_->inputs) keyed_.push_back(is_keyed_input(*v));
  // Debian's oneDNN runs on OpenMP (libgomp); the `lowp` target links OpenMP for this setter.
  if (options_.threads > 0) set_num_threads_ = omp_set_num_threads;
}

std::unique_ptr<ExecutionContext> CpuCompiledModel::create_context() const {
  return std::make_unique<CpuExecutionContext>(engine_);
}

CpuCompiledModel::ProgramKey CpuCompiledModel::key_for(
    const std::vector<const Tensor*>& inputs) const {
  ProgramKey key;
  for (size_t i = 0; i < inputs.size(); ++i) {
    key.dims.push_back(inputs[i]->dims());
    if (keyed_[i] && inputs[i]->numel() <= kMaxKeyedElements) {
      key.values.push_back(inputs[i]->to_int64());
    } else {
      key.values.emplace_back();
    }
  }
  return key;
}

std::shared_ptr<const Program> CpuCompiledModel::program_for(
    const ProgramKey& key, const std::vector<const Tensor*>& inputs) const {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (const auto* cached = programs_.find(key)) return *cached;
  }
  // Built without the lock, so runs of programs already built never wait for a new shape's build.
  std::vector<const Tensor*> known(inputs.size(), nullptr);
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (keyed_[i] && inputs[i] && inputs[i]->numel() <= kMaxKeyedElements) known[i] = inputs[i];
  }
  ProgramBuilder builder(*graph_, engine_, weights_, key.dims, known);
  std::shared_ptr<const Program> program = builder.build();
  std::lock_guard<std::mutex> lock(mutex_);
  if (const auto* built = programs_.find(key)) return *built;  // another thread was first
  programs_.insert(key, program);  // an evicted Program lives on in contexts still running it
  return program;
}

void CpuCompiledModel::check_io(const std::vector<const Tensor*>& inputs,
                                const std::vector<Tensor*>& outputs) const {
  if (inputs.size() != graph_->inputs.size() || outputs.size() != graph_->outputs.size()) {
    throw Error(ErrorCode::kInvalidArgument,
                "cpu backend: expected " + std::to_string(graph_->inputs.size()) + " inputs and " +
                    std::to_string(graph_->outputs.size()) + " outputs");
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Value* v = graph_->inputs[i];
    if (inputs[i] == nullptr || inputs[i]->dtype() != v->dtype ||
        (inputs[i]->raw() == nullptr && inputs[i]->numel() != 0)) {
      throw Error(ErrorCode::kInvalidArgument,
                  "cpu backend: input '" + v->name + "' is missing or has the wrong type");
    }
  }
  for (size_t j = 0; j < outputs.size(); ++j) {
    if (outputs[j] == nullptr) {
      throw Error(ErrorCode::kInvalidArgument,
                  "cpu backend: output '" + graph_->outputs[j]->name + "' is not bound");
    }
  }
}

void CpuCompiledModel::run(ExecutionContext& context, const std::vector<const Tensor*>& inputs,
                           const std::vector<Tensor*>& outputs) const {
  auto* ctx = dynamic_cast<CpuExecutionContext*>(&context);
  if (ctx == nullptr) {
    throw Error(ErrorCode::kInvalidArgument,
                "cpu backend: context was not created by this backend");
  }
  check_io(inputs, outputs);
  // Before any primitive is created or run: oneDNN partitions work for the thread count it sees
  // at creation time and asks OpenMP for exactly that many threads when executing.
  if (set_num_threads_ != nullptr) set_num_threads_(options_.threads);

  // Reuse the context's last Program when the dims (and keyed contents) are unchanged.
  bool same = ctx->last_program != nullptr && ctx->last_dims.size() == inputs.size();
  for (size_t i = 0; same && i < inputs.size(); ++i) {
    same = ctx->last_dims[i] == inputs[i]->dims();
    if (same && !ctx->last_values[i].empty()) same = ctx->last_values[i] == inputs[i]->to_int64();
  }
  if (!same) {
    ProgramKey key = key_for(inputs);
    ctx->last_program = program_for(key, inputs);
    ctx->last_dims = std::move(key.dims);
    ctx->last_values = std::move(key.values);
  }
  const Program& program = *ctx->last_program;
  for (size_t j = 0; j < outputs.size(); ++j) {
    const Slot* slot = nullptr;
    for (const Slot& s : program.slots) {
      if (s.kind == SlotKind::kOutput && s.index == static_cast<int>(j)) slot = &s;
    }
    if (slot && outputs[j]->bytes() != slot->bytes) {
      throw Error(ErrorCode::kInvalidArgument,
                  "cpu backend: output '" + graph_->outputs[j]->name + "' has the wrong size");
    }
  }
  ctx->run(program, inputs, outputs);
}

std::vector<std::string> CpuCompiledModel::describe() const {
  std::vector<std::string> lines = describe_nodes();
  if (!precision_note_.empty()) lines.insert(lines.begin(), precision_note_);
  return lines;
}

std::vector<std::string> CpuCompiledModel::describe_nodes() const {
  if (set_num_threads_ != nullptr) set_num_threads_(options_.threads);
  std::vector<Dims> dims;
  for (const Value* v : graph_->inputs) {
    if (!v->shape.has_rank()) return {"(describe needs ranked inputs)"};
    Dims d;
    for (const Dim& dim : v->shape.dims()) d.push_back(dim.known() ? dim.size : 1);
    dims.push_back(std::move(d));
  }
  try {
    ProgramKey key{dims, std::vector<std::vector<int64_t>>(dims.size())};
    bool any_keyed = false;
    for (bool k : keyed_) any_keyed = any_keyed || k;
    if (!any_keyed) {
      std::vector<const Tensor*> none(dims.size(), nullptr);
      std::shared_ptr<const Program> program;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (const auto* cached = programs_.find(key)) program = *cached;
      }
      if (!program) {
        ProgramBuilder builder(*graph_, engine_, weights_, dims, none);
        program = builder.build();
        std::lock_guard<std::mutex> lock(mutex_);
        programs_.insert(key, program);
      }
      return program->node_lines;
    }
    ProgramBuilder builder(*graph_, engine_, weights_, dims,
                           std::vector<const Tensor*>(dims.size(), nullptr));
    return builder.build()->node_lines;
  } catch (const Error& e) {
    return {std::string("(describe failed: ") + e.what() + ")"};
  }
}

}  // namespace lowp::cpu

namespace lowp {

// Every node the op schemas allow runs: oneDNN primitives (fused activations as post-ops), else
// the reference kernels, which apply any fused activation too.
bool cpu_supports(const Node&) { return true; }

std::unique_ptr<CompiledModel> compile_for_cpu(std::shared_ptr<const Graph> graph,
                                               const CompileOptions& options) {
  return std::make_unique<cpu::CpuCompiledModel>(std::move(graph), options);
}

}  // namespace lowp

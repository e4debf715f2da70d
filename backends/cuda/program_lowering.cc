#include "backends/cuda/program_lowering.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "backends/cuda/cuda_lowering.h"
#include "core/arena_planning.h"
#include "lowp/error.h"

namespace lowp::cuda {

namespace {

// Per-tensor params as the kernels see them: u8 values are stored as q - 128 (kernels.h).
QuantS8 device_quant(const Node& node, const QuantParams& q) {
  if (q.scales.size() != 1) unsupported(node, "runs per-tensor activation quantization only");
  const int zp = q.zero_points.empty() ? 0 : q.zero_points[0];
  return {q.scales[0], zp - (q.storage == DataType::kU8 ? 128 : 0)};
}

// The activations cuBLASLt's epilogue and lowp's epilogue kernels apply.
bool epilogue_activation(ActivationKind kind) {
  return kind == ActivationKind::kNone || kind == ActivationKind::kRelu ||
         kind == ActivationKind::kClip || kind == ActivationKind::kLeakyRelu;
}

}  // namespace

void unsupported(const Node& node, const std::string& why) {
  throw_error(ErrorCode::kUnsupported, node.describe() + ": the CUDA backend " + why);
}

DType device_type(const Node& node, DataType t) {
  switch (t) {
    case DataType::kF32:
      return DType::kF32;
    case DataType::kF16:
      return DType::kF16;
    case DataType::kS8:
    case DataType::kU8:
      return DType::kS8;
    default:
      unsupported(node, std::string("has no kernels for ") + name_of(t) + " tensors");
  }
}

QuantS8 value_quant(const Node& node, const Value* v) {
  if (!v->quant) unsupported(node, "needs quantization parameters on '" + v->name + "'");
  return device_quant(node, *v->quant);
}

QuantS8 tensor_quant(const Node& node, const Value& v, size_t scale_input) {
  if (v.quant) return device_quant(node, *v.quant);
  const Value* s = node.input(scale_input);
  const Value* z = node.input(scale_input + 1);
  if (!s || !s->constant || s->constant->numel() != 1 ||
      (z && (!z->constant || z->constant->numel() != 1))) {
    unsupported(node, "needs constant per-tensor scale and zero point");
  }
  QuantParams q;
  q.scales = {s->constant->to_float()[0]};
  q.zero_points = {z ? static_cast<int32_t>(z->constant->to_int64()[0]) : 0};
  q.storage = v.dtype;  // v is the int8 side of the Q / DQ
  return device_quant(node, q);
}

Activation kernel_activation(const Node& n, const FusedActivation& a) {
  switch (a.kind) {
    case ActivationKind::kNone:
      return {};
    case ActivationKind::kRelu:
      return {Act::kRelu, 0.f, 0.f};
    case ActivationKind::kClip:
      return {Act::kClip, a.lo, a.hi};
    case ActivationKind::kLeakyRelu:
      return {Act::kLeakyRelu, a.slope, 0.f};
    default:
      unsupported(n, std::string("does not fuse ") + activation_op_type(a.kind) + " yet");
  }
}

namespace {

constexpr size_t kArenaAlignment = 256;

// NHWC and NCHW hold the same bytes when C == 1 or H * W == 1.
bool layouts_coincide(const Dims& d) { return d.size() != 4 || d[1] == 1 || d[2] * d[3] == 1; }

// ---- The CUDA op table: everything the backend knows about an op in one entry ----------------

std::string describe_kernel(const Node& n, const char* precision);
std::string describe_linear(const Node& n, const char* precision);
bool plain_node(const Node& n) { return !n.activation.present(); }
bool linear_node(const Node& n) { return epilogue_activation(n.activation.kind); }
// MatMul's fused bias (input 2) is not lowered here; its activation goes as Gemm's does.
bool matmul_node(const Node& n) { return n.inputs.size() == 2 && linear_node(n); }

struct CudaOp {
  const char* op_type;
  std::vector<size_t> device_inputs;  // read as device tensors (the others: weights, attributes)
  bool (*supports)(const Node& n);    // beyond the op type: the node's fused forms
  void (Lowering::*lower)(const Node& n);
  std::string (*describe)(const Node& n, const char* precision);
};

// Every op here has a schema and a reference kernel (op_registry_test checks).
const std::vector<CudaOp>& cuda_ops() {
  using L = Lowering;
  static const std::vector<CudaOp> kOps = {
      {"Conv", {0, 3}, linear_node, &L::lower_conv, describe_linear},
      {"Gemm", {0}, linear_node, &L::lower_gemm, describe_linear},
      {"MatMul", {0}, matmul_node, &L::lower_gemm, describe_linear},
      {"MaxPool", {0}, plain_node, &L::lower_pool, describe_kernel},
      {"AveragePool", {0}, plain_node, &L::lower_pool, describe_kernel},
      {"GlobalAveragePool", {0}, plain_node, &L::lower_global_pool, describe_kernel},
      {"Relu", {0}, plain_node, &L::lower_activation, describe_kernel},
      {"Clip", {0}, plain_node, &L::lower_activation, describe_kernel},
      {"LeakyRelu", {0}, plain_node, &L::lower_activation, describe_kernel},
      {"Add", {0, 1}, plain_node, &L::lower_add, describe_kernel},
      {"Flatten", {0}, plain_node, &L::lower_view, describe_kernel},
      {"Reshape", {0}, plain_node, &L::lower_view, describe_kernel},
      {"Identity", {0}, plain_node, &L::lower_view, describe_kernel},
      {"Dropout", {0}, plain_node, &L::lower_view, describe_kernel},
      {"Softmax", {0}, plain_node, &L::lower_softmax, describe_kernel},
      {"QuantizeLinear", {0}, plain_node, &L::lower_quantize, describe_kernel},
      {"DequantizeLinear", {0}, plain_node, &L::lower_dequantize, describe_kernel},
      {"Cast", {0}, plain_node, &L::lower_cast, describe_kernel},
  };
  return kOps;
}

const CudaOp* find_cuda_op(const std::string& op_type) {
  for (const CudaOp& op : cuda_ops()) {
    if (op_type == op.op_type) return &op;
  }
  return nullptr;
}

std::string describe_kernel(const Node&, const char* precision) {
  return std::string("CUDA kernel ") + precision;
}

std::string describe_linear(const Node& n, const char* precision) {
  const bool int8 = std::string(precision) == "int8";
  const Tensor* w = n.input(1) && n.input(1)->constant ? n.input(1)->constant.get() : nullptr;
  const bool one_by_one = n.op_type == "Conv" && w && w->rank() == 4 && w->dims()[2] == 1 &&
                          w->dims()[3] == 1 && w->dims()[1] % 16 == 0 &&
                          n.attr_ints("strides", {1, 1}) == std::vector<int64_t>{1, 1} &&
                          n.attr_ints("pads", {0, 0, 0, 0}) == std::vector<int64_t>{0, 0, 0, 0};
  std::string how = n.op_type == "Conv" ? (one_by_one ? "cuBLASLt GEMM (1x1 conv, NHWC)"
                                                      : "implicit GEMM: im2col + cuBLASLt (NHWC)")
                                        : "cuBLASLt GEMM";
  how += std::string(" ") + precision +
         (int8 ? " s32 acc, per-channel requantize (in cuBLASLt's epilogue for s8 outputs)" : "");
  if (n.activation.present()) how += std::string(" +") + activation_op_type(n.activation.kind);
  if (n.input(3)) how += " +residual";
  return how;
}

}  // namespace

// ---- Building a program ------------------------------------------------------------------------

int Lowering::add_slot(SlotKind kind, size_t bytes, int index, const void* constant) {
  DeviceSlot s;
  s.kind = kind;
  s.bytes = bytes;
  s.index = index;
  s.constant = constant;
  program_->slots.push_back(s);
  return static_cast<int>(program_->slots.size()) - 1;
}

void Lowering::add_step(std::string what, StepParams params, SlotRef src, SlotRef aux,
                        SlotRef dst) {
  const int index = static_cast<int>(program_->steps.size());
  for (const SlotRef& ref : {src, aux, dst}) {
    if (!ref.present()) continue;
    DeviceSlot& slot = program_->slots[ref.slot];
    slot.first_step = slot.first_step < 0 ? index : std::min(slot.first_step, index);
    slot.last_step = std::max(slot.last_step, index);
  }
  program_->steps.push_back({std::move(what), std::move(params), src, aux, dst});
}

size_t Lowering::bytes_of(const Value* v) const {
  return static_cast<size_t>(element_count(info_.at(v).dims)) * size_of(v->dtype);
}

int Lowering::define(const Value* v, Layout layout) {
  const int slot = add_slot(SlotKind::kArena, bytes_of(v));
  values_[v] = {slot, layout, info_.at(v).dims, v->dtype};
  return slot;
}

void Lowering::alias(const Value* v, int slot, Layout layout) {
  values_[v] = {slot, layout, info_.at(v).dims, v->dtype};
}

LtGemm* Lowering::make_gemm(const GemmConfig& config, const std::string& what) {
  program_->gemms.push_back(std::make_unique<LtGemm>(opt_.lt, config, opt_.workspace_limit,
                                                     opt_.time_tactics, what, opt_.tactics));
  LtGemm* g = program_->gemms.back().get();
  program_->workspace_bytes = std::max(program_->workspace_bytes, g->workspace_bytes());
  return g;
}

// A value something reads: a node or the caller (graph output).
bool Lowering::is_used(const Value* v) const {
  return v && (!v->consumers.empty() ||
               std::find(graph_.outputs.begin(), graph_.outputs.end(), v) != graph_.outputs.end());
}

const DeviceValue& Lowering::value(const Node& n, const Value* v) {
  auto it = values_.find(v);
  if (it != values_.end()) return it->second;
  if (v->constant) {
    auto c = res_.constants.find(v);
    if (c == res_.constants.end()) {
      throw_error(ErrorCode::kInternal, n.describe() + ": constant '" + v->name + "' not uploaded");
    }
    const int slot = add_slot(SlotKind::kConstant, c->second.bytes(), -1, c->second.get());
    return values_[v] = {slot, Layout::kPlain, v->constant->dims(), v->constant->dtype()};
  }
  throw_error(ErrorCode::kInternal, n.describe() + ": input '" + v->name + "' has no producer");
}

int Lowering::slot_in(const Node& n, const Value* v, Layout want) {
  const DeviceValue dv = value(n, v);
  if (dv.layout == want || layouts_coincide(dv.dims)) return dv.slot;
  auto key = std::make_pair(v, want);
  if (auto it = converted_.find(key); it != converted_.end()) return it->second;
  const DType t = device_type(n, dv.dtype);
  if (t == DType::kS8) unsupported(n, "keeps int8 tensors NHWC; this graph needs one in NCHW");
  const int dst =
      add_slot(SlotKind::kArena, static_cast<size_t>(element_count(dv.dims)) * size_of(dv.dtype));
  const bool to_nhwc = want == Layout::kNhwc;
  const LayoutStep step{to_nhwc,
                        t,
                        static_cast<int>(dv.dims[0]),
                        static_cast<int>(dv.dims[1]),
                        static_cast<int>(dv.dims[2]),
                        static_cast<int>(dv.dims[3])};
  add_step(n.describe() + (to_nhwc ? ": NCHW->NHWC of '" : ": NHWC->NCHW of '") + v->name + "'",
           step, {dv.slot}, {}, {dst});
  converted_[key] = dst;
  return dst;
}

void Lowering::copy_to_output(size_t j) {
  const Value* v = graph_.outputs[j];
  if (v->dtype == DataType::kU8) {
    throw_error(ErrorCode::kUnsupported,
                "the CUDA backend does not return u8 graph outputs ('" + v->name + "')");
  }
  Node output_node;  // names the graph output in errors
  output_node.name = v->name;
  output_node.op_type = "graph output";
  const int src = slot_in(v->producer ? *v->producer : output_node, v, Layout::kPlain);
  const size_t bytes = bytes_of(v);
  program_->output_bytes.push_back(bytes);
  const int dst = add_slot(SlotKind::kOutput, bytes, static_cast<int>(j));
  add_step("copy to output '" + v->name + "'", CopyStep{bytes}, {src}, {}, {dst});
}

std::unique_ptr<CudaProgram> Lowering::build() {
  info_ = infer_concrete(graph_, input_dims_);
  for (size_t i = 0; i < graph_.inputs.size(); ++i) {
    const Value* v = graph_.inputs[i];
    if (v->dtype == DataType::kU8) {
      throw_error(ErrorCode::kUnsupported,
                  "the CUDA backend does not take u8 graph inputs ('" + v->name + "')");
    }
    const size_t bytes = bytes_of(v);
    program_->input_bytes.push_back(bytes);
    values_[v] = {add_slot(SlotKind::kInput, bytes, static_cast<int>(i)), Layout::kPlain,
                  info_.at(v).dims, v->dtype};
  }
  for (const auto& node : graph_.nodes()) lower(*node);
  for (size_t j = 0; j < graph_.outputs.size(); ++j) copy_to_output(j);
  // Arena offsets from liveness.
  std::vector<ArenaBuffer> buffers;
  for (const DeviceSlot& s : program_->slots) {
    const bool arena = s.kind == SlotKind::kArena && s.first_step >= 0;
    buffers.push_back({s.bytes, arena ? s.first_step : -1, s.last_step});
  }
  const ArenaPlan plan = plan_arena(buffers, kArenaAlignment);
  for (size_t i = 0; i < buffers.size(); ++i) {
    if (buffers[i].first_step >= 0) program_->slots[i].offset = plan.offsets[i];
  }
  program_->arena_bytes = plan.total_bytes;
  return std::move(program_);
}

void Lowering::lower(const Node& n) {
  const CudaOp* op = find_cuda_op(n.op_type);
  if (!op) unsupported(n, "does not implement " + n.op_type);
  (this->*(op->lower))(n);
}

// ---- The backend's entry points ----------------------------------------------------------------

void check_cuda_support(const Graph& graph) {
  std::string missing;
  for (const auto& node : graph.nodes()) {
    if (supports_node(*node)) continue;
    missing += (missing.empty() ? "" : ", ") + node->describe();
    if (node->activation.present()) {
      missing += std::string(" with a fused ") + activation_op_type(node->activation.kind);
    }
  }
  if (!missing.empty()) {
    throw_error(ErrorCode::kUnsupported,
                "the CUDA backend does not implement: " + missing +
                    " (compile for the CPU, or keep these out of the graph)");
  }
}

ModelResources upload_resources(const Graph& graph, bool tf32) {
  ModelResources res;
  for (const Value* v : graph.outputs) {  // folded to a constant (e.g. a Shape): copied out
    if (v->constant && !res.constants.count(v) && v->dtype != DataType::kU8) {
      res.constants.emplace(
          v, DeviceBuffer::upload(v->constant->raw(), v->constant->bytes(), v->name));
    }
  }
  for (const auto& node : graph.nodes()) {
    const Node& n = *node;
    if (n.op_type == "Conv") res.linear.emplace(&n, pack_conv(n, tf32));
    if (n.op_type == "Gemm" || n.op_type == "MatMul") res.linear.emplace(&n, pack_gemm(n, tf32));
    for (size_t i : find_cuda_op(n.op_type)->device_inputs) {
      const Value* v = n.input(i);
      if (!v || !v->constant || res.constants.count(v)) continue;
      const Tensor& t = *v->constant;
      if (t.dtype() == DataType::kU8) {  // stored as q - 128 (kernels.h)
        std::vector<uint8_t> shifted(static_cast<const uint8_t*>(t.raw()),
                                     static_cast<const uint8_t*>(t.raw()) + t.bytes());
        for (uint8_t& b : shifted) b ^= 0x80;
        res.constants.emplace(v, DeviceBuffer::upload(shifted.data(), shifted.size(), v->name));
      } else {
        res.constants.emplace(v, DeviceBuffer::upload(t.raw(), t.bytes(), v->name));
      }
    }
  }
  return res;
}

bool supports_node(const Node& node) {
  const CudaOp* op = find_cuda_op(node.op_type);
  return op && op->supports(node);
}

std::vector<std::string> cuda_op_types() {
  std::vector<std::string> types;
  for (const CudaOp& op : cuda_ops()) types.push_back(op.op_type);
  return types;
}

std::vector<std::string> describe_cuda_nodes(const Graph& graph) {
  std::vector<std::string> lines;
  for (const auto& node : graph.nodes()) {
    const Node& n = *node;
    const bool int8 =
        n.input(0) && (n.input(0)->dtype == DataType::kS8 || n.input(0)->dtype == DataType::kU8);
    const char* precision = int8                                                ? "int8"
                            : n.input(0) && n.input(0)->dtype == DataType::kF16 ? "fp16"
                                                                                : "fp32";
    const CudaOp* op = find_cuda_op(n.op_type);
    lines.push_back(n.describe() + ": " +
                    (op ? op->describe(n, precision) : std::string("not supported")));
  }
  return lines;
}

std::unique_ptr<CudaProgram> lower_program(const Graph& graph, const std::vector<Dims>& input_dims,
                                           const ModelResources& resources,
                                           const LoweringOptions& options) {
  return Lowering(graph, input_dims, resources, options).build();
}

}  // namespace lowp::cuda

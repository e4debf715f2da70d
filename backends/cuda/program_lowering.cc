#include "backends/cuda/program_lowering.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/cudnn_conv.h"
#include "backends/cuda/device_timing.h"
#include "backends/cuda/kernels.h"
#include "core/arena_planning.h"
#include "core/ops/nn_geometry.h"
#include "lowp/error.h"
#include "lowp/shape_propagation.h"

namespace lowp::cuda {
namespace {

constexpr size_t kArenaAlignment = 256;

[[noreturn]] void unsupported(const Node& node, const std::string& why) {
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

// Per-tensor params as the kernels see them: u8 values are stored as q - 128 (kernels.h).
QuantS8 device_quant(const Node& node, const QuantParams& q) {
  if (q.scales.size() != 1) unsupported(node, "runs per-tensor activation quantization only");
  const int zp = q.zero_points.empty() ? 0 : q.zero_points[0];
  return {q.scales[0], zp - (q.storage == DataType::kU8 ? 128 : 0)};
}

QuantS8 value_quant(const Node& node, const Value* v) {
  if (!v->quant) unsupported(node, "needs quantization parameters on '" + v->name + "'");
  return device_quant(node, *v->quant);
}

// The params of a quantized tensor: its QuantParams, else QuantizeLinear / DequantizeLinear's
// scale and zero-point inputs.
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

// The activations cuBLASLt's epilogue and lowp's epilogue kernels apply.
bool epilogue_activation(ActivationKind kind) {
  return kind == ActivationKind::kNone || kind == ActivationKind::kRelu ||
         kind == ActivationKind::kClip || kind == ActivationKind::kLeakyRelu;
}

Activation fused_activation(const Node& n) {
  const FusedActivation& a = n.activation;
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

// A scratch stream for timing; the cuDNN handle (if any) is bound to it while it lives and
// unbound again on every path out, so the handle never keeps a destroyed stream.
struct ScratchStream {
  cudaStream_t stream = nullptr;
  cudnnHandle_t dnn = nullptr;
  ScratchStream(cudnnHandle_t handle, const std::string& what) {
    check_cuda(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), what);
    if (handle && cudnnSetStream(handle, stream) == CUDNN_STATUS_SUCCESS) dnn = handle;
  }
  ~ScratchStream() {
    if (dnn) cudnnSetStream(dnn, nullptr);
    cudaStreamSynchronize(stream);
    cudaStreamDestroy(stream);
    (void)cudaGetLastError();
  }
  ScratchStream(const ScratchStream&) = delete;
  ScratchStream& operator=(const ScratchStream&) = delete;
};

// A value something reads: a node or the caller (graph output).
bool used(const Graph& graph, const Value* v) {
  return v && (!v->consumers.empty() ||
               std::find(graph.outputs.begin(), graph.outputs.end(), v) != graph.outputs.end());
}

enum class Layout { kPlain, kNhwc };

struct DeviceValue {
  int slot = -1;
  Layout layout = Layout::kPlain;
  Dims dims;  // logical (ONNX, NCHW) dims
  DataType dtype = DataType::kUndefined;
};

// NHWC and NCHW hold the same bytes when C == 1 or H * W == 1.
bool layouts_coincide(const Dims& d) { return d.size() != 4 || d[1] == 1 || d[2] * d[3] == 1; }

struct CudaOp;

class Lowering {
 public:
  Lowering(const Graph& graph, const std::vector<Dims>& input_dims, const ModelResources& resources,
           const LoweringOptions& options)
      : graph_(graph),
        input_dims_(input_dims),
        res_(resources),
        opt_(options),
        program_(std::make_unique<CudaProgram>()) {}

  std::unique_ptr<CudaProgram> build();

 private:
  int add_slot(SlotKind kind, size_t bytes, int index = -1, const void* constant = nullptr) {
    DeviceSlot s;
    s.kind = kind;
    s.bytes = bytes;
    s.index = index;
    s.constant = constant;
    program_->slots.push_back(s);
    return static_cast<int>(program_->slots.size()) - 1;
  }
  void add_step(std::string what, const std::vector<int>& slots,
                std::function<void(const LaunchArgs&)> launch) {
    const int index = static_cast<int>(program_->steps.size());
    for (int s : slots) {
      DeviceSlot& slot = program_->slots[s];
      slot.first_step = slot.first_step < 0 ? index : std::min(slot.first_step, index);
      slot.last_step = std::max(slot.last_step, index);
    }
    program_->steps.push_back({std::move(what), std::move(launch)});
  }
  size_t bytes_of(const Value* v) const {
    return static_cast<size_t>(element_count(info_.at(v).dims)) * size_of(v->dtype);
  }
  const DeviceValue& value(const Node& n, const Value* v);
  // Slot holding v in `want` layout (adds a conversion step once when needed).
  int slot_in(const Node& n, const Value* v, Layout want);
  int define(const Value* v, Layout layout) {
    const int slot = add_slot(SlotKind::kArena, bytes_of(v));
    values_[v] = {slot, layout, info_.at(v).dims, v->dtype};
    return slot;
  }
  void alias(const Value* v, int slot, Layout layout) {
    values_[v] = {slot, layout, info_.at(v).dims, v->dtype};
  }
  LtGemm* make_gemm(const GemmConfig& config, const std::string& what) {
    program_->gemms.push_back(std::make_unique<LtGemm>(opt_.lt, config, opt_.workspace_limit,
                                                       opt_.time_tactics, what, opt_.tactics));
    LtGemm* g = program_->gemms.back().get();
    program_->workspace_bytes = std::max(program_->workspace_bytes, g->workspace_bytes());
    return g;
  }

  void lower(const Node& n);
  void lower_conv(const Node& n) { lower_linear(n, true); }
  void lower_gemm(const Node& n) { lower_linear(n, false); }
  void lower_linear(const Node& n, bool conv);
  bool lower_with_cudnn(const Node& n, const PackedLinear& w, const ConvGeometry& g,
                        const GemmConfig& gemm_config, bool direct, int64_t per_slice, int src,
                        int res, int out);
  struct RequantizingGemm {
    GemmConfig config;         // m to be set
    DeviceBuffer scale, bias;  // the per-channel vectors config points at
  };
  std::optional<RequantizingGemm> requantizing_gemm(const Node& n, const PackedLinear& w,
                                                    QuantS8 xq, Activation act,
                                                    const Value* residual);
  bool cudnn_faster(const Node& n, const PackedLinear& w, const ConvGeometry& g,
                    const GemmConfig& gemm_config, bool direct, int64_t per_slice, int res,
                    const CudnnConv& dnn, std::string& timing);
  void lower_pool(const Node& n);
  void lower_global_pool(const Node& n);
  void lower_activation(const Node& n);
  void lower_add(const Node& n);
  void lower_view(const Node& n);
  void lower_softmax(const Node& n);
  void lower_quantize(const Node& n) { lower_quantize(n, true); }
  void lower_dequantize(const Node& n) { lower_quantize(n, false); }
  void lower_quantize(const Node& n, bool quantize);
  void lower_cast(const Node& n);

  const Graph& graph_;
  const std::vector<Dims>& input_dims_;
  const ModelResources& res_;
  const LoweringOptions& opt_;
  std::unique_ptr<CudaProgram> program_;
  std::map<const Value*, TensorInfo> info_;
  std::map<const Value*, DeviceValue> values_;
  std::map<std::pair<const Value*, Layout>, int> converted_;

  friend const std::vector<CudaOp>& cuda_ops();
};

// ---- The CUDA op table: everything the backend knows about an op in one entry ----------------

std::string describe_kernel(const Node& n, const char* precision);
std::string describe_linear(const Node& n, const char* precision);
bool plain_node(const Node& n) { return !n.activation.present(); }
bool linear_node(const Node& n) { return epilogue_activation(n.activation.kind); }

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
      {"MatMul", {0}, linear_node, &L::lower_gemm, describe_linear},
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
  const int src = dv.slot;
  const int N = static_cast<int>(dv.dims[0]), C = static_cast<int>(dv.dims[1]),
            H = static_cast<int>(dv.dims[2]), W = static_cast<int>(dv.dims[3]);
  const bool to_nhwc = want == Layout::kNhwc;
  add_step(n.describe() + (to_nhwc ? ": NCHW->NHWC of '" : ": NHWC->NCHW of '") + v->name + "'",
           {src, dst}, [=](const LaunchArgs& a) {
             if (to_nhwc) {
               nchw_to_nhwc(a.slots[src], t, a.slots[dst], t, N, C, H, W, a.stream);
             } else {
               nhwc_to_nchw(a.slots[src], t, a.slots[dst], t, N, C, H, W, a.stream);
             }
           });
  converted_[key] = dst;
  return dst;
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
  for (size_t j = 0; j < graph_.outputs.size(); ++j) {
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
    add_step("copy to output '" + v->name + "'", {src, dst}, [=](const LaunchArgs& a) {
      check_cuda(
          cudaMemcpyAsync(a.slots[dst], a.slots[src], bytes, cudaMemcpyDeviceToDevice, a.stream),
          "cudaMemcpyAsync to an output");
    });
  }
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

void Lowering::lower_linear(const Node& n, bool conv) {
  const PackedLinear& w = res_.linear.at(&n);
  const Value* x = n.input(0);
  const Value* y = n.outputs.at(0);
  const DType xt = device_type(n, value(n, x).dtype);
  const bool int8 = w.type == GemmType::kS8;
  if ((xt == DType::kS8) != int8 || (xt == DType::kF16) != (w.type == GemmType::kF16)) {
    unsupported(n, "needs input and weights of one precision");
  }
  const size_t esize = element_bytes(w.type);
  const int64_t kp = w.k_padded;
  ConvGeometry g{};
  int64_t m = 0;
  int src = -1;
  bool direct = false;
  if (conv) {
    src = slot_in(n, x, Layout::kNhwc);
    const Dims& xd = value(n, x).dims;
    const Dims kernel = {n.input(1)->constant->dims()[2], n.input(1)->constant->dims()[3]};
    const nn::SpatialGeometry sg = nn::window_geometry(n, {xd[2], xd[3]}, kernel, false);
    g = {static_cast<int>(xd[0]),           static_cast<int>(xd[2]),
         static_cast<int>(xd[3]),           static_cast<int>(xd[1]),
         static_cast<int>(sg.out[0]),       static_cast<int>(sg.out[1]),
         static_cast<int>(kernel[0]),       static_cast<int>(kernel[1]),
         static_cast<int>(sg.strides[0]),   static_cast<int>(sg.strides[1]),
         static_cast<int>(sg.pad_begin[0]), static_cast<int>(sg.pad_begin[1]),
         static_cast<int>(sg.dilations[0]), static_cast<int>(sg.dilations[1])};
    m = int64_t{g.n} * g.oh * g.ow;
    direct = g.kh == 1 && g.kw == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_top == 0 &&
             g.pad_left == 0 && g.oh == g.h && g.ow == g.w && g.c == kp;
  } else {
    src = slot_in(n, x, Layout::kPlain);
    const Dims& xd = value(n, x).dims;
    if (xd.size() != 2) unsupported(n, "runs Gemm / MatMul on 2-D inputs only");
    m = xd[0];
    g = {static_cast<int>(xd[0]), 1, 1, static_cast<int>(xd[1]), 1, 1, 1, 1, 1, 1, 0, 0, 1, 1};
    direct = xd[1] == kp;
  }
  const QuantS8 xq = int8 ? value_quant(n, x) : QuantS8{};
  const Activation act = fused_activation(n);
  const Value* residual = conv ? n.input(3) : nullptr;
  const int res = residual ? slot_in(n, residual, Layout::kNhwc) : -1;
  const bool residual_int8 =
      residual && (residual->dtype == DataType::kS8 || residual->dtype == DataType::kU8);
  if (residual && (int8 ? !residual_int8 : residual->dtype != y->dtype)) {
    unsupported(n, "needs the residual in the output's precision");
  }
  if (!int8 && y->dtype != value(n, x).dtype) {
    unsupported(n, "needs the output in the input's precision");
  }
  const Layout out_layout = conv ? Layout::kNhwc : Layout::kPlain;
  const int out = define(y, out_layout);
  const int64_t cout = w.n;
  const void* weights = w.weights.get();
  const bool in_epilogue = act.kind == Act::kNone || act.kind == Act::kRelu;
  const GemmConfig float_config{w.type,
                                m,
                                cout,
                                kp,
                                in_epilogue ? w.bias.get() : nullptr,
                                in_epilogue && act.kind == Act::kRelu,
                                residual != nullptr && in_epilogue};
  // Convolutions whose im2col columns would pass the slice limit run in slices of whole images
  // (one columns buffer of a slice's size, reused): device memory stays bounded at any batch size
  // and the columns can stay in L2 between the im2col writing them and the GEMM reading them. The
  // slices' GEMM outputs must start 16-byte aligned (cuBLASLt's operand alignment).
  const int64_t images = conv ? g.n : 1;
  const int64_t pixels = conv ? int64_t{g.oh} * g.ow : m;  // GEMM rows per image
  const size_t out_image_bytes = static_cast<size_t>(pixels * cout) * size_of(y->dtype);
  const size_t res_image_bytes =
      residual ? static_cast<size_t>(pixels * cout) * size_of(residual->dtype) : 0;
  int64_t per_slice = images;
  const size_t image_cols_bytes = static_cast<size_t>(pixels * kp) * esize;
  if (conv && !direct && image_cols_bytes * images > opt_.im2col_slice_bytes &&
      out_image_bytes % 16 == 0 && res_image_bytes % 16 == 0) {
    per_slice = std::max<int64_t>(1, opt_.im2col_slice_bytes / image_cols_bytes);
  }
  if (conv && !int8 && in_epilogue && opt_.dnn && w.k == kp) {
    if (lower_with_cudnn(n, w, g, float_config, direct, per_slice, src, res, out)) return;
  }
  const int64_t slice_rows = per_slice * pixels;
  const int cols =
      direct ? src : add_slot(SlotKind::kArena, static_cast<size_t>(slice_rows * kp) * esize);

  // The GEMM: float (bias / ReLU / residual in cuBLASLt's epilogue, else lowp's kernel after it),
  // int8 requantizing in cuBLASLt's epilogue, or int8 to s32 + lowp's int8 epilogue kernel.
  enum class Kind { kFloat, kRequantizing, kS32 };
  Kind kind = int8 ? Kind::kS32 : Kind::kFloat;
  GemmConfig config = float_config;
  std::map<int64_t, LtGemm*> gemm_for_rows;  // one LtGemm per distinct slice size
  auto gemm_for = [&](int64_t rows) {
    LtGemm*& gemm = gemm_for_rows[rows];
    if (!gemm) {
      GemmConfig c = config;
      c.m = rows;
      gemm = make_gemm(c, n.describe());
    }
    return gemm;
  };
  if (int8) {
    if (std::optional<RequantizingGemm> requantizing = requantizing_gemm(n, w, xq, act, residual)) {
      config = requantizing->config;
      try {  // every slice size this node runs
        gemm_for(slice_rows);
        if (images % per_slice) gemm_for(images % per_slice * pixels);
        kind = Kind::kRequantizing;
        program_->buffers.push_back(std::move(requantizing->scale));
        program_->buffers.push_back(std::move(requantizing->bias));
      } catch (const Error& e) {
        // No cuBLASLt algorithm for it, or a cuBLASLt that refuses the configuration: the s32
        // GEMM + epilogue kernel instead.
        if (e.code() != ErrorCode::kUnsupported && e.code() != ErrorCode::kBackend) throw;
        (void)cudaGetLastError();
        gemm_for_rows.clear();
      }
    }
    if (kind == Kind::kS32) config = {GemmType::kS8, 0, w.n_gemm, kp, nullptr, false, false};
  }
  const int acc = kind == Kind::kS32
                      ? add_slot(SlotKind::kArena, static_cast<size_t>(slice_rows * w.n_gemm) * 4)
                      : -1;
  Int8Epilogue e;
  if (kind == Kind::kS32) {
    e.w_sum = static_cast<const int32_t*>(w.w_sum.get());
    e.bias = static_cast<const int32_t*>(w.bias.get());
    e.w_scale = static_cast<const float*>(w.w_scale.get());
    e.x_scale = xq.scale;
    e.x_zero_point = xq.zero_point;
    if (residual) e.residual_q = value_quant(n, residual);
    e.act = act;
    e.acc_ld = w.n_gemm;
    e.out_type = device_type(n, y->dtype);
    if (e.out_type == DType::kS8) e.out_q = value_quant(n, y);
  }
  const size_t in_image_bytes = static_cast<size_t>(g.h) * g.w * g.c * esize;
  const float* bias_f32 = static_cast<const float*>(w.bias_f32.get());
  for (int64_t first = 0; first < images; first += per_slice) {
    const int64_t count = std::min(per_slice, images - first);
    const int64_t rows = count * pixels;
    const size_t in_off = static_cast<size_t>(first) * in_image_bytes;
    const size_t out_off = static_cast<size_t>(first) * out_image_bytes;
    const size_t res_off = static_cast<size_t>(first) * res_image_bytes;
    const std::string part = per_slice < images ? " [images " + std::to_string(first) + "-" +
                                                      std::to_string(first + count - 1) + " of " +
                                                      std::to_string(images) + "]"
                                                : "";
    if (!direct) {
      ConvGeometry slice = g;
      if (conv) slice.n = static_cast<int>(count);  // (a Gemm's rows are g.n, one "image")
      const int pad = xq.zero_point;
      add_step(
          n.describe() + ": im2col " + std::to_string(g.kh) + "x" + std::to_string(g.kw) + part,
          {src, cols}, [=](const LaunchArgs& a) {
            im2col_nhwc(static_cast<const char*>(a.slots[src]) + in_off, xt, a.slots[cols], slice,
                        static_cast<int>(kp), pad, a.stream);
          });
    }
    LtGemm* gemm = gemm_for(rows);
    auto at = [](void* p, size_t off) { return p ? static_cast<char*>(p) + off : nullptr; };
    std::vector<int> used = {cols, kind == Kind::kS32 ? acc : out};
    if (res >= 0 && kind != Kind::kS32) used.push_back(res);
    add_step(n.describe() + ": " + gemm->describe() + part, used, [=](const LaunchArgs& a) {
      void* c = res >= 0 && kind != Kind::kS32 ? at(a.slots[res], res_off) : nullptr;
      void* d = kind == Kind::kS32 ? a.slots[acc] : at(a.slots[out], out_off);
      gemm->run(a.lt, weights, a.slots[cols], c, d, a.workspace, a.stream);
    });
    if (kind == Kind::kFloat && !in_epilogue) {
      add_step(n.describe() + ": bias / residual / activation" + part, used,
               [=](const LaunchArgs& a) {
                 bias_residual_act(at(a.slots[out], out_off), xt, bias_f32,
                                   res >= 0 ? at(a.slots[res], res_off) : nullptr, rows,
                                   static_cast<int>(cout), act, a.stream);
               });
    }
    if (kind == Kind::kS32) {
      std::vector<int> epilogue_used = {acc, out};
      if (res >= 0) epilogue_used.push_back(res);
      add_step(n.describe() + ": int8 requantize epilogue" + part, epilogue_used,
               [=](const LaunchArgs& a) {
                 Int8Epilogue args = e;
                 if (res >= 0) {
                   args.residual = reinterpret_cast<const int8_t*>(at(a.slots[res], res_off));
                 }
                 int8_epilogue(static_cast<const int32_t*>(a.slots[acc]), at(a.slots[out], out_off),
                               rows, static_cast<int>(cout), args, a.stream);
               });
    }
  }
}

// An int8 Conv / Gemm with an s8 output can requantize in cuBLASLt's epilogue (one kernel: no s32
// accumulators through memory, no epilogue kernel) when the epilogue can say what it does:
//   q_y = saturate(round(alpha[c] * acc + beta * q_res + bias[c])), with
//   alpha[c] = x_scale * w_scale[c] / y_scale, beta = res_scale / y_scale and
//   bias[c] = alpha[c] * (b[c] - x_zp * w_sum[c]) + y_zp - beta * res_zp
// (the activation zero point's share of acc is constant per channel). That takes output channels
// a multiple of 4 (IMMA's ldc, so D is the output tensor itself) and no activation, or a ReLU that
// the saturation performs (output zero point -128: real 0 is the bottom of the range) or
// cuBLASLt's ReLU performs (zero point 0). Returns that GEMM's config (m to be set) with the
// vectors it points at, or nothing when it does not apply.
std::optional<Lowering::RequantizingGemm> Lowering::requantizing_gemm(const Node& n,
                                                                      const PackedLinear& w,
                                                                      QuantS8 xq, Activation act,
                                                                      const Value* residual) {
  const Value* y = n.outputs.at(0);
  if (device_type(n, y->dtype) != DType::kS8 || w.n_gemm != w.n) return std::nullopt;
  const QuantS8 yq = value_quant(n, y);
  const bool relu = act.kind == Act::kRelu;
  if (act.kind != Act::kNone && !(relu && (yq.zero_point == -128 || yq.zero_point == 0))) {
    return std::nullopt;
  }
  const QuantS8 rq = residual ? value_quant(n, residual) : QuantS8{};
  const double beta = residual ? double(rq.scale) / yq.scale : 0.0;
  const auto channels = static_cast<size_t>(w.n);
  std::vector<float> scale(channels), bias(channels);
  for (size_t c = 0; c < channels; ++c) {
    const double alpha = double(xq.scale) * w.host_w_scale[c] / yq.scale;
    const double centred = double(w.host_bias[c]) - double(xq.zero_point) * w.host_w_sum[c];
    scale[c] = static_cast<float>(alpha);
    bias[c] = static_cast<float>(alpha * centred + yq.zero_point - beta * rq.zero_point);
  }
  const std::string what = n.describe() + " requantization";
  RequantizingGemm r;
  r.scale = DeviceBuffer::upload(scale.data(), channels * 4, what);
  r.bias = DeviceBuffer::upload(bias.data(), channels * 4, what);
  r.config = GemmConfig{GemmType::kS8,
                        0,
                        w.n,
                        w.k_padded,
                        r.bias.get(),
                        relu && yq.zero_point == 0,
                        residual != nullptr,
                        static_cast<const float*>(r.scale.get()),
                        static_cast<float>(beta)};
  return r;
}

// Times cuDNN's fused convolution against im2col + cuBLASLt for this convolution on scratch
// buffers and, when cuDNN is faster, adds its step and returns true (like TensorRT's tactics).
bool Lowering::lower_with_cudnn(const Node& n, const PackedLinear& w, const ConvGeometry& g,
                                const GemmConfig& gemm_config, bool direct, int64_t per_slice,
                                int src, int res, int out) {
  const DType t = w.type == GemmType::kF16 ? DType::kF16 : DType::kF32;
  CudnnConvConfig config{
      g,       static_cast<int>(w.n), t, w.type == GemmType::kTf32, w.bias.get(), gemm_config.relu,
      res >= 0};
  // A choice stored in the plan: "gemm", or "cudnn|<algorithm>|<math type>". The key holds
  // everything the choice depends on (not the node name: names need not be unique).
  auto num = [](int64_t v) { return std::to_string(v); };
  const std::string key = "conv|" + num(g.n) + "," + num(g.h) + "," + num(g.w) + "," + num(g.c) +
                          "|k" + num(g.kh) + "x" + num(g.kw) + "|s" + num(g.stride_h) + "," +
                          num(g.stride_w) + "|p" + num(g.pad_top) + "," + num(g.pad_left) + "|d" +
                          num(g.dilation_h) + "," + num(g.dilation_w) + "|o" + num(g.oh) + "," +
                          num(g.ow) + "|t" + num(static_cast<int>(w.type)) + "|n" + num(w.n) + "|" +
                          (gemm_config.relu ? "r" : "-") + (res >= 0 ? "z" : "-");
  const std::optional<std::string> stored = opt_.tactics ? opt_.tactics->find(key) : std::nullopt;
  if (stored && *stored == "gemm") return false;
  std::shared_ptr<CudnnConv> dnn;
  std::string timing = " (from the plan)";
  int algo = -1, math = -1;
  if (stored && std::sscanf(stored->c_str(), "cudnn|%3d|%3d", &algo, &math) == 2) {
    dnn = CudnnConv::create(opt_.dnn, config, opt_.workspace_limit, n.describe(), algo, math);
  }
  if (!dnn) {
    dnn = CudnnConv::create(opt_.dnn, config, opt_.workspace_limit, n.describe());
    if (!dnn) return false;
    bool faster = false;
    try {  // cuDNN's fused call failing here is a reason to use cuBLASLt, not to fail
      faster = cudnn_faster(n, w, g, gemm_config, direct, per_slice, res, *dnn, timing);
    } catch (const Error&) {
      (void)cudaGetLastError();
    }
    if (!faster) {
      if (opt_.tactics) opt_.tactics->record(key, "gemm");
      return false;
    }
    if (opt_.tactics) {
      opt_.tactics->record(key, "cudnn|" + num(dnn->algo()) + "|" + num(dnn->math_type()));
    }
  }
  program_->workspace_bytes = std::max(program_->workspace_bytes, dnn->workspace_bytes());
  const void* weights = w.weights.get();
  std::vector<int> used = {src, out};
  if (res >= 0) used.push_back(res);
  const std::string name = n.describe();
  add_step(n.describe() + ": " + dnn->describe() + timing, used, [=](const LaunchArgs& a) {
    if (!a.dnn) throw_error(ErrorCode::kBackend, name + ": cuDNN is unavailable in this session");
    dnn->run(a.dnn, a.slots[src], weights, res >= 0 ? a.slots[res] : nullptr, a.slots[out],
             a.workspace);
  });
  return true;
}

// Times im2col + cuBLASLt and cuDNN for one convolution on scratch buffers; true when cuDNN is
// faster. im2col + cuBLASLt in slices of `per_slice` images is timed on one slice and scaled to
// the batch. `timing` gets both times for the step's description.
bool Lowering::cudnn_faster(const Node& n, const PackedLinear& w, const ConvGeometry& g,
                            const GemmConfig& gemm_config, bool direct, int64_t per_slice, int res,
                            const CudnnConv& dnn_conv, std::string& timing) {
  const CudnnConv* dnn = &dnn_conv;
  const DType t = w.type == GemmType::kF16 ? DType::kF16 : DType::kF32;
  const size_t esize = element_bytes(w.type);
  const int64_t m = gemm_config.m, kp = w.k_padded;
  const int64_t slice_rows = m / g.n * per_slice;
  ConvGeometry slice = g;
  slice.n = static_cast<int>(per_slice);
  GemmConfig slice_config = gemm_config;
  slice_config.m = slice_rows;
  const std::string what = n.describe() + " tactic timing";
  DeviceBuffer x(static_cast<size_t>(g.n) * g.h * g.w * g.c * esize, what);
  DeviceBuffer cols(direct ? 0 : static_cast<size_t>(slice_rows * kp) * esize, what);
  DeviceBuffer y(static_cast<size_t>(m * w.n) * esize, what);
  DeviceBuffer z(res >= 0 ? y.bytes() : 0, what);
  LtGemm gemm(opt_.lt, slice_config, opt_.workspace_limit, opt_.time_tactics, what, opt_.tactics);
  DeviceBuffer workspace(std::max(gemm.workspace_bytes(), dnn->workspace_bytes()), what);
  const ScratchStream scratch(opt_.dnn, what);
  for (const DeviceBuffer* b : {&x, &cols, &y, &z}) {
    if (b->bytes() == 0) continue;
    check_cuda(cudaMemsetAsync(b->get(), 0, b->bytes(), scratch.stream), what + ": cudaMemset");
  }
  const void* weights = w.weights.get();
  const float slice_ms = time_on_device(what, scratch.stream, [&](cudaStream_t stream) {
    if (!direct) im2col_nhwc(x.get(), t, cols.get(), slice, static_cast<int>(kp), 0, stream);
    gemm.run(opt_.lt, weights, direct ? x.get() : cols.get(), z.get(), y.get(), workspace.get(),
             stream);
  });
  const float gemm_ms = slice_ms * static_cast<float>(g.n) / static_cast<float>(per_slice);
  if (!scratch.dnn) return false;
  const float dnn_ms = time_on_device(what, scratch.stream, [&](cudaStream_t) {
    dnn->run(opt_.dnn, x.get(), weights, z.get(), y.get(), workspace.get());
  });
  char text[96];
  std::snprintf(text, sizeof(text), " (%.3f ms vs im2col + cuBLASLt %.3f ms)", dnn_ms, gemm_ms);
  timing = text;
  // cuDNN must win clearly, so that timing noise does not flip the choice between compiles.
  return dnn_ms < 0.97f * gemm_ms;
}

void Lowering::lower_pool(const Node& n) {
  const Value* x = n.input(0);
  const Value* y = n.outputs.at(0);
  if (n.outputs.size() > 1 && used(graph_, n.outputs[1])) {
    unsupported(n, "does not return MaxPool indices");
  }
  const int src = slot_in(n, x, Layout::kNhwc);
  const Dims& xd = value(n, x).dims;
  if (xd.size() != 4) unsupported(n, "runs 2-D pooling only");
  const Dims kernel = n.attr_ints("kernel_shape");
  const nn::SpatialGeometry sg = nn::window_geometry(n, {xd[2], xd[3]}, kernel, true);
  // Every window must see at least one input element (the kernels define no value otherwise).
  auto covered = [](int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad, int64_t dil) {
    for (int64_t o = 0; o < out; ++o) {
      bool any = false;
      for (int64_t t = 0; t < k && !any; ++t) {
        const int64_t i = o * stride - pad + t * dil;
        any = i >= 0 && i < in;
      }
      if (!any) return false;
    }
    return true;
  };
  if (!covered(xd[2], sg.out[0], kernel[0], sg.strides[0], sg.pad_begin[0], sg.dilations[0]) ||
      !covered(xd[3], sg.out[1], kernel[1], sg.strides[1], sg.pad_begin[1], sg.dilations[1])) {
    unsupported(n, "does not run pooling windows that lie entirely in the padding");
  }
  const PoolGeometry g{static_cast<int>(xd[0]),           static_cast<int>(xd[2]),
                       static_cast<int>(xd[3]),           static_cast<int>(xd[1]),
                       static_cast<int>(sg.out[0]),       static_cast<int>(sg.out[1]),
                       static_cast<int>(kernel[0]),       static_cast<int>(kernel[1]),
                       static_cast<int>(sg.strides[0]),   static_cast<int>(sg.strides[1]),
                       static_cast<int>(sg.pad_begin[0]), static_cast<int>(sg.pad_begin[1]),
                       static_cast<int>(sg.dilations[0]), static_cast<int>(sg.dilations[1])};
  const DType t = device_type(n, x->dtype);
  const int out = define(y, Layout::kNhwc);
  if (n.op_type == "MaxPool") {
    if (t == DType::kS8 && !(x->quant && y->quant && *x->quant == *y->quant)) {
      unsupported(n, "runs int8 MaxPool only with the output's params equal to the input's");
    }
    add_step(n.describe() + ": max pool", {src, out}, [=](const LaunchArgs& a) {
      max_pool_nhwc(a.slots[src], t, a.slots[out], g, a.stream);
    });
    return;
  }
  const bool include_pad = n.attr_int("count_include_pad", 0) != 0;
  if (include_pad && n.attr_int("ceil_mode", 0) != 0) {
    unsupported(n, "does not run count_include_pad with ceil_mode (windows past the padding)");
  }
  const QuantS8 in_q = t == DType::kS8 ? value_quant(n, x) : QuantS8{};
  const QuantS8 out_q = t == DType::kS8 ? value_quant(n, y) : QuantS8{};
  add_step(n.describe() + ": average pool", {src, out}, [=](const LaunchArgs& a) {
    avg_pool_nhwc(a.slots[src], t, a.slots[out], g, include_pad, in_q, out_q, a.stream);
  });
}

void Lowering::lower_global_pool(const Node& n) {
  const Value* x = n.input(0);
  const Value* y = n.outputs.at(0);
  const int src = slot_in(n, x, Layout::kNhwc);
  const Dims& xd = value(n, x).dims;
  if (xd.size() != 4) unsupported(n, "runs 2-D global pooling only");
  const DType t = device_type(n, x->dtype);
  const QuantS8 in_q = t == DType::kS8 ? value_quant(n, x) : QuantS8{};
  const QuantS8 out_q = t == DType::kS8 ? value_quant(n, y) : QuantS8{};
  const int out = define(y, Layout::kNhwc);
  const int nn = static_cast<int>(xd[0]), hw = static_cast<int>(xd[2] * xd[3]),
            c = static_cast<int>(xd[1]);
  add_step(n.describe() + ": global average pool", {src, out}, [=](const LaunchArgs& a) {
    global_avg_pool_nhwc(a.slots[src], t, a.slots[out], nn, hw, c, in_q, out_q, a.stream);
  });
}

void Lowering::lower_activation(const Node& n) {
  const Value* x = n.input(0);
  const DeviceValue dv = value(n, x);
  const DType t = device_type(n, dv.dtype);
  if (t == DType::kS8) unsupported(n, "runs stand-alone activations on floats only");
  Activation act{Act::kRelu, 0.f, 0.f};
  if (n.op_type == "LeakyRelu") act = {Act::kLeakyRelu, n.attr_float("alpha", 0.01f), 0.f};
  if (n.op_type == "Clip") {
    act = {Act::kClip, -INFINITY, INFINITY};
    for (size_t i : {size_t{1}, size_t{2}}) {
      const Value* bound = n.input(i);
      if (!bound) continue;
      if (!bound->constant || bound->constant->numel() != 1) {
        unsupported(n, "needs constant scalar Clip bounds");
      }
      (i == 1 ? act.lo : act.hi) = bound->constant->to_float().at(0);
    }
  }
  const int src = dv.slot;
  const int out = define(n.outputs.at(0), dv.layout);
  const int64_t count = element_count(dv.dims);
  add_step(n.describe(), {src, out}, [=](const LaunchArgs& a) {
    activation(a.slots[src], a.slots[out], t, count, act, QuantS8{}, a.stream);
  });
}

void Lowering::lower_add(const Node& n) {
  const Value* x0 = n.input(0);
  const Value* x1 = n.input(1);
  const DeviceValue a0 = value(n, x0);
  if (value(n, x1).dims != a0.dims || x0->dtype != x1->dtype) {
    unsupported(n, "adds tensors of equal dims and type only (no broadcasting yet)");
  }
  const int s0 = a0.slot;
  const int s1 = slot_in(n, x1, a0.layout);
  const DType t = device_type(n, a0.dtype);
  const Value* y = n.outputs.at(0);
  const QuantS8 q0 = t == DType::kS8 ? value_quant(n, x0) : QuantS8{};
  const QuantS8 q1 = t == DType::kS8 ? value_quant(n, x1) : QuantS8{};
  const QuantS8 qy = t == DType::kS8 ? value_quant(n, y) : QuantS8{};
  const Activation act = fused_activation(n);
  const int out = define(y, a0.layout);
  const int64_t count = element_count(a0.dims);
  add_step(n.describe(), {s0, s1, out}, [=](const LaunchArgs& a) {
    add_act(a.slots[s0], q0, a.slots[s1], q1, a.slots[out], qy, t, count, act, a.stream);
  });
}

void Lowering::lower_view(const Node& n) {
  for (size_t i = 1; i < n.outputs.size(); ++i) {
    if (used(graph_, n.outputs[i])) {
      unsupported(n, "does not produce " + n.op_type + "'s optional outputs");
    }
  }
  const Value* x = n.input(0);
  const Value* y = n.outputs.at(0);
  const DeviceValue dv = value(n, x);
  if (n.op_type == "Identity" || n.op_type == "Dropout") return alias(y, dv.slot, dv.layout);
  alias(y, slot_in(n, x, Layout::kPlain), Layout::kPlain);
}

void Lowering::lower_softmax(const Node& n) {
  const Value* x = n.input(0);
  if (x->dtype != DataType::kF32) unsupported(n, "runs Softmax in f32 only");
  const int src = slot_in(n, x, Layout::kPlain);
  const Dims& d = value(n, x).dims;
  int64_t axis = n.attr_int("axis", -1);
  if (axis < 0) axis += static_cast<int64_t>(d.size());
  if (axis != static_cast<int64_t>(d.size()) - 1 && n.attr_int("_coerce_2d", 0) == 0) {
    unsupported(n, "runs Softmax over the last axis only");
  }
  int64_t rows = 1, cols = 1;
  for (size_t i = 0; i < d.size(); ++i) (static_cast<int64_t>(i) < axis ? rows : cols) *= d[i];
  const int out = define(n.outputs.at(0), Layout::kPlain);
  add_step(n.describe(), {src, out}, [=](const LaunchArgs& a) {
    softmax_rows(static_cast<const float*>(a.slots[src]), static_cast<float*>(a.slots[out]),
                 static_cast<int>(rows), static_cast<int>(cols), a.stream);
  });
}

void Lowering::lower_quantize(const Node& n, bool quantize) {
  const Value* x = n.input(0);
  const Value* y = n.outputs.at(0);
  const DeviceValue dv = value(n, x);
  const QuantS8 q = tensor_quant(n, quantize ? *y : *x, 1);
  const DType ft = device_type(n, quantize ? x->dtype : y->dtype);
  if (ft == DType::kS8) unsupported(n, "converts between int8 and f32 / f16 only");
  // int8 tensors live in NHWC: quantize a 4-D float input after converting it.
  const Layout layout = quantize && dv.dims.size() == 4 ? Layout::kNhwc : dv.layout;
  const int src = quantize ? slot_in(n, x, layout) : dv.slot;
  const int out = define(y, layout);
  const int64_t count = element_count(dv.dims);
  add_step(n.describe(), {src, out}, [=](const LaunchArgs& a) {
    if (quantize) {
      cuda::quantize(a.slots[src], ft, static_cast<int8_t*>(a.slots[out]), q, count, a.stream);
    } else {
      dequantize(static_cast<const int8_t*>(a.slots[src]), q, a.slots[out], ft, count, a.stream);
    }
  });
}

void Lowering::lower_cast(const Node& n) {
  const Value* x = n.input(0);
  const Value* y = n.outputs.at(0);
  const DeviceValue dv = value(n, x);
  if (x->dtype == y->dtype) return alias(y, dv.slot, dv.layout);
  const DType from = device_type(n, x->dtype), to = device_type(n, y->dtype);
  if (from == DType::kS8 || to == DType::kS8) unsupported(n, "casts between f32 and f16 only");
  const int src = dv.slot;
  const int out = define(y, dv.layout);
  const int64_t count = element_count(dv.dims);
  add_step(n.describe(), {src, out}, [=](const LaunchArgs& a) {
    convert(a.slots[src], from, a.slots[out], to, count, a.stream);
  });
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

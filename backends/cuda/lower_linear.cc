// Lowering of Conv, Gemm and MatMul: implicit GEMM (an NHWC im2col, skipped for 1x1 stride-1
// convolutions, feeding a cuBLASLt GEMM; in slices of whole images when the columns would pass
// LoweringOptions::im2col_slice_bytes), or cuDNN's fused convolution where it times faster. Float
// bias / ReLU / residual go in cuBLASLt's epilogue, other activations in lowp's kernel after it;
// int8 requantizes in cuBLASLt's epilogue where it can, else through s32 accumulators and lowp's
// int8 epilogue kernel.
#include <algorithm>
#include <cstdio>
#include <map>
#include <string>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/cuda_lowering.h"
#include "backends/cuda/device_timing.h"
#include "lowp/error.h"

namespace lowp::cuda {
namespace {

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

}  // namespace

// One Conv / Gemm / MatMul node's lowering: its geometry, slots and GEMM choice.
struct Lowering::Linear {
  bool conv = false;
  const PackedLinear* w = nullptr;
  const Value* x = nullptr;
  const Value* y = nullptr;
  const Value* residual = nullptr;  // Conv's input 3
  DType xt = DType::kF32;
  bool int8 = false;
  size_t esize = 0;     // bytes per GEMM operand element
  int64_t kp = 0;       // k padded (the packed weights' row length)
  ConvGeometry g{};     // a Gemm is a 1x1 "convolution" of m images
  int64_t m = 0;        // GEMM rows
  bool direct = false;  // the input is the GEMM's A (no im2col)
  int src = -1, res = -1, out = -1;
  QuantS8 xq;
  Activation act;
  bool in_epilogue = false;  // bias / ReLU / residual in cuBLASLt's epilogue
  GemmConfig float_config{};
  // Slices of whole images (per_slice of `images`, `pixels` GEMM rows each).
  int64_t images = 1, pixels = 0, per_slice = 1;
  size_t in_image_bytes = 0, out_image_bytes = 0, res_image_bytes = 0;
  // The GEMM: float (epilogue in cuBLASLt or lowp's kernel after it), int8 requantizing in
  // cuBLASLt's epilogue, or int8 to s32 + lowp's int8 epilogue kernel.
  enum class Kind { kFloat, kRequantizing, kS32 } kind = Kind::kFloat;
  GemmConfig config{};
  std::map<int64_t, LtGemm*> gemm_for_rows;
  int cols = -1, acc = -1;
  Int8Epilogue epilogue;
};

void Lowering::lower_conv(const Node& n) { lower_linear(n, true); }
void Lowering::lower_gemm(const Node& n) { lower_linear(n, false); }

void Lowering::lower_linear(const Node& n, bool conv) {
  Linear l;
  l.conv = conv;
  l.w = &res_.linear.at(&n);
  l.x = n.input(0);
  l.y = n.outputs.at(0);
  l.xt = device_type(n, value(n, l.x).dtype);
  l.int8 = l.w->type == GemmType::kS8;
  if ((l.xt == DType::kS8) != l.int8 || (l.xt == DType::kF16) != (l.w->type == GemmType::kF16)) {
    unsupported(n, "needs input and weights of one precision");
  }
  l.esize = element_bytes(l.w->type);
  l.kp = l.w->k_padded;
  linear_geometry(n, l);
  l.xq = l.int8 ? value_quant(n, l.x) : QuantS8{};
  l.act = fused_activation(n);
  l.residual = conv ? n.input(3) : nullptr;
  l.res = l.residual ? slot_in(n, l.residual, Layout::kNhwc) : -1;
  const bool residual_int8 =
      l.residual && (l.residual->dtype == DataType::kS8 || l.residual->dtype == DataType::kU8);
  if (l.residual && (l.int8 ? !residual_int8 : l.residual->dtype != l.y->dtype)) {
    unsupported(n, "needs the residual in the output's precision");
  }
  if (!l.int8 && l.y->dtype != value(n, l.x).dtype) {
    unsupported(n, "needs the output in the input's precision");
  }
  l.out = define(l.y, conv ? Layout::kNhwc : Layout::kPlain);
  l.in_epilogue = l.act.kind == Act::kNone || l.act.kind == Act::kRelu;
  l.float_config = {l.w->type,
                    l.m,
                    l.w->n,
                    l.kp,
                    l.in_epilogue ? l.w->bias.get() : nullptr,
                    l.in_epilogue && l.act.kind == Act::kRelu,
                    l.residual != nullptr && l.in_epilogue};
  linear_slices(n, l);
  if (conv && !l.int8 && l.in_epilogue && opt_.dnn && l.w->k == l.kp) {
    if (lower_with_cudnn(n, l)) return;
  }
  const int64_t slice_rows = l.per_slice * l.pixels;
  l.cols = l.direct ? l.src
                    : add_slot(SlotKind::kArena, static_cast<size_t>(slice_rows * l.kp) * l.esize);
  choose_gemm(n, l);
  for (int64_t first = 0; first < l.images; first += l.per_slice) emit_linear_slice(n, l, first);
}

// The GEMM's shape: a convolution's NHWC geometry (m = n * oh * ow rows), or a Gemm / MatMul's
// 2-D [m, k] input; whether the input is the GEMM's A as it stands.
void Lowering::linear_geometry(const Node& n, Linear& l) {
  if (l.conv) {
    l.src = slot_in(n, l.x, Layout::kNhwc);
    const Dims& xd = value(n, l.x).dims;
    const Dims kernel = {n.input(1)->constant->dims()[2], n.input(1)->constant->dims()[3]};
    const nn::SpatialGeometry sg = nn::window_geometry(n, {xd[2], xd[3]}, kernel, false);
    l.g = window_geometry_nhwc<ConvGeometry>(xd, kernel, sg);
    const ConvGeometry& g = l.g;
    l.m = int64_t{g.n} * g.oh * g.ow;
    l.direct = g.kh == 1 && g.kw == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_top == 0 &&
               g.pad_left == 0 && g.oh == g.h && g.ow == g.w && g.c == l.kp;
    return;
  }
  l.src = slot_in(n, l.x, Layout::kPlain);
  const Dims& xd = value(n, l.x).dims;
  if (xd.size() != 2) unsupported(n, "runs Gemm / MatMul on 2-D inputs only");
  l.m = xd[0];
  l.g = {static_cast<int>(xd[0]), 1, 1, static_cast<int>(xd[1]), 1, 1, 1, 1, 1, 1, 0, 0, 1, 1};
  l.direct = xd[1] == l.kp;
}

// Convolutions whose im2col columns would pass the slice limit run in slices of whole images
// (one columns buffer of a slice's size, reused): device memory stays bounded at any batch size
// and the columns can stay in L2 between the im2col writing them and the GEMM reading them. The
// slices' GEMM outputs must start 16-byte aligned (cuBLASLt's operand alignment).
void Lowering::linear_slices(const Node& n, Linear& l) {
  // Slices are counted in images and rows per image: an empty GEMM (a batch of 0) would divide
  // by zero below and launch kernels on nothing.
  if (l.m == 0) unsupported(n, "has no rows to compute (a dimension of 0, e.g. a batch of 0)");
  const int64_t cout = l.w->n;
  l.images = l.conv ? l.g.n : 1;
  l.pixels = l.conv ? int64_t{l.g.oh} * l.g.ow : l.m;  // GEMM rows per image
  l.in_image_bytes = static_cast<size_t>(l.g.h) * l.g.w * l.g.c * l.esize;
  l.out_image_bytes = static_cast<size_t>(l.pixels * cout) * size_of(l.y->dtype);
  l.res_image_bytes =
      l.residual ? static_cast<size_t>(l.pixels * cout) * size_of(l.residual->dtype) : 0;
  l.per_slice = l.images;
  const size_t image_cols_bytes = static_cast<size_t>(l.pixels * l.kp) * l.esize;
  if (l.conv && !l.direct && image_cols_bytes * l.images > opt_.im2col_slice_bytes &&
      l.out_image_bytes % 16 == 0 && l.res_image_bytes % 16 == 0) {
    l.per_slice = std::max<int64_t>(1, opt_.im2col_slice_bytes / image_cols_bytes);
  }
}

LtGemm* Lowering::gemm_for(const Node& n, Linear& l, int64_t rows) {
  LtGemm*& gemm = l.gemm_for_rows[rows];
  if (!gemm) {
    GemmConfig c = l.config;
    c.m = rows;
    gemm = make_gemm(c, n.describe());
  }
  return gemm;
}

// Float GEMMs keep float_config. int8: requantize in cuBLASLt's epilogue when it can say what
// the node does and cuBLASLt has an algorithm for every slice size, else s32 accumulators and
// lowp's int8 epilogue kernel.
void Lowering::choose_gemm(const Node& n, Linear& l) {
  l.config = l.float_config;
  l.kind = l.int8 ? Linear::Kind::kS32 : Linear::Kind::kFloat;
  const int64_t slice_rows = l.per_slice * l.pixels;
  if (l.int8) {
    if (std::optional<RequantizingGemm> r = requantizing_gemm(n, *l.w, l.xq, l.act, l.residual)) {
      l.config = r->config;
      try {  // every slice size this node runs
        gemm_for(n, l, slice_rows);
        if (l.images % l.per_slice) gemm_for(n, l, l.images % l.per_slice * l.pixels);
        l.kind = Linear::Kind::kRequantizing;
        program_->buffers.push_back(std::move(r->scale));
        program_->buffers.push_back(std::move(r->bias));
      } catch (const Error& e) {
        // No cuBLASLt algorithm for it, or a cuBLASLt that refuses the configuration: the s32
        // GEMM + epilogue kernel instead.
        if (e.code() != ErrorCode::kUnsupported && e.code() != ErrorCode::kBackend) throw;
        (void)cudaGetLastError();
        l.gemm_for_rows.clear();
      }
    }
  }
  if (l.kind != Linear::Kind::kS32) return;
  const PackedLinear& w = *l.w;
  l.config = {GemmType::kS8, 0, w.n_gemm, l.kp, nullptr, false, false};
  l.acc = add_slot(SlotKind::kArena, static_cast<size_t>(slice_rows * w.n_gemm) * 4);
  Int8Epilogue& e = l.epilogue;
  e.w_sum = static_cast<const int32_t*>(w.w_sum.get());
  e.bias = static_cast<const int32_t*>(w.bias.get());
  e.w_scale = static_cast<const float*>(w.w_scale.get());
  e.x_scale = l.xq.scale;
  e.x_zero_point = l.xq.zero_point;
  if (l.residual) e.residual_q = value_quant(n, l.residual);
  e.act = l.act;
  e.acc_ld = w.n_gemm;
  e.out_type = device_type(n, l.y->dtype);
  if (e.out_type == DType::kS8) e.out_q = value_quant(n, l.y);
}

// The steps of the images [first, first + per_slice): im2col, the GEMM, and the epilogue kernel
// when cuBLASLt's cannot do the node's.
void Lowering::emit_linear_slice(const Node& n, Linear& l, int64_t first) {
  using Kind = Linear::Kind;
  const int64_t count = std::min(l.per_slice, l.images - first);
  const int64_t rows = count * l.pixels;
  const SlotRef in{l.src, static_cast<size_t>(first) * l.in_image_bytes};
  const SlotRef out{l.out, static_cast<size_t>(first) * l.out_image_bytes};
  const SlotRef res =
      l.res >= 0 ? SlotRef{l.res, static_cast<size_t>(first) * l.res_image_bytes} : SlotRef{};
  const std::string part = l.per_slice < l.images ? " [images " + std::to_string(first) + "-" +
                                                        std::to_string(first + count - 1) + " of " +
                                                        std::to_string(l.images) + "]"
                                                  : "";
  if (!l.direct) {
    ConvGeometry slice = l.g;
    if (l.conv) slice.n = static_cast<int>(count);  // (a Gemm's rows are g.n, one "image")
    const Im2colStep step{l.xt, slice, static_cast<int>(l.kp), l.xq.zero_point};
    add_step(
        n.describe() + ": im2col " + std::to_string(l.g.kh) + "x" + std::to_string(l.g.kw) + part,
        step, in, {}, {l.cols});
  }
  const LtGemm* gemm = gemm_for(n, l, rows);
  const SlotRef a = l.direct ? in : SlotRef{l.cols};
  const GemmStep gemm_step{gemm, l.w->weights.get()};
  if (l.kind == Kind::kS32) {
    add_step(n.describe() + ": " + gemm->describe() + part, gemm_step, a, {}, {l.acc});
    const Int8EpilogueStep step{l.epilogue, rows, static_cast<int>(l.w->n)};
    add_step(n.describe() + ": int8 requantize epilogue" + part, step, {l.acc}, res, out);
    return;
  }
  add_step(n.describe() + ": " + gemm->describe() + part, gemm_step, a, res, out);
  if (l.kind == Kind::kFloat && !l.in_epilogue) {
    const BiasResidualActStep step{l.xt, static_cast<const float*>(l.w->bias_f32.get()), rows,
                                   static_cast<int>(l.w->n), l.act};
    add_step(n.describe() + ": bias / residual / activation" + part, step, {}, res, out);
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

// cuDNN's fused convolution for this node when a stored choice or a timing (like TensorRT's
// tactics) says it is faster than im2col + cuBLASLt; null otherwise. `timing` gets the times.
std::shared_ptr<const CudnnConv> Lowering::choose_cudnn(const Node& n, const Linear& l,
                                                        std::string& timing) {
  const ConvGeometry& g = l.g;
  const PackedLinear& w = *l.w;
  const DType t = w.type == GemmType::kF16 ? DType::kF16 : DType::kF32;
  CudnnConvConfig config{g,
                         static_cast<int>(w.n),
                         t,
                         w.type == GemmType::kTf32,
                         w.bias.get(),
                         l.float_config.relu,
                         l.res >= 0};
  // A choice stored in the plan: "gemm", or "cudnn|<algorithm>|<math type>". The key holds
  // everything the choice depends on (not the node name: names need not be unique).
  auto num = [](int64_t v) { return std::to_string(v); };
  const std::string key = "conv|" + num(g.n) + "," + num(g.h) + "," + num(g.w) + "," + num(g.c) +
                          "|k" + num(g.kh) + "x" + num(g.kw) + "|s" + num(g.stride_h) + "," +
                          num(g.stride_w) + "|p" + num(g.pad_top) + "," + num(g.pad_left) + "|d" +
                          num(g.dilation_h) + "," + num(g.dilation_w) + "|o" + num(g.oh) + "," +
                          num(g.ow) + "|t" + num(static_cast<int>(w.type)) + "|n" + num(w.n) + "|" +
                          (l.float_config.relu ? "r" : "-") + (l.res >= 0 ? "z" : "-");
  const std::optional<std::string> stored = opt_.tactics ? opt_.tactics->find(key) : std::nullopt;
  if (stored && *stored == "gemm") return nullptr;
  timing = " (from the plan)";
  int algo = -1, math = -1;
  if (stored && std::sscanf(stored->c_str(), "cudnn|%3d|%3d", &algo, &math) == 2) {
    if (auto dnn =
            CudnnConv::create(opt_.dnn, config, opt_.workspace_limit, n.describe(), algo, math)) {
      return dnn;
    }
  }
  std::shared_ptr<const CudnnConv> dnn =
      CudnnConv::create(opt_.dnn, config, opt_.workspace_limit, n.describe());
  if (!dnn) return nullptr;
  bool faster = false;
  try {  // cuDNN's fused call failing here is a reason to use cuBLASLt, not to fail
    faster = cudnn_faster(n, l, *dnn, timing);
  } catch (const Error&) {
    (void)cudaGetLastError();
  }
  if (opt_.tactics) {
    opt_.tactics->record(
        key, faster ? "cudnn|" + num(dnn->algo()) + "|" + num(dnn->math_type()) : "gemm");
  }
  return faster ? dnn : nullptr;
}

// Adds cuDNN's fused convolution as this node's step when choose_cudnn picks it.
bool Lowering::lower_with_cudnn(const Node& n, const Linear& l) {
  std::string timing;
  std::shared_ptr<const CudnnConv> dnn = choose_cudnn(n, l, timing);
  if (!dnn) return false;
  program_->workspace_bytes = std::max(program_->workspace_bytes, dnn->workspace_bytes());
  add_step(n.describe() + ": " + dnn->describe() + timing, CudnnConvStep{dnn, l.w->weights.get()},
           {l.src}, l.res >= 0 ? SlotRef{l.res} : SlotRef{}, {l.out});
  return true;
}

// Times im2col + cuBLASLt and cuDNN for one convolution on scratch buffers; true when cuDNN is
// faster. im2col + cuBLASLt in slices of `per_slice` images is timed on one slice and scaled to
// the batch. `timing` gets both times for the step's description.
bool Lowering::cudnn_faster(const Node& n, const Linear& l, const CudnnConv& dnn,
                            std::string& timing) {
  const ConvGeometry& g = l.g;
  const DType t = l.w->type == GemmType::kF16 ? DType::kF16 : DType::kF32;
  const int64_t slice_rows = l.m / g.n * l.per_slice;
  ConvGeometry slice = g;
  slice.n = static_cast<int>(l.per_slice);
  GemmConfig slice_config = l.float_config;
  slice_config.m = slice_rows;
  const std::string what = n.describe() + " tactic timing";
  DeviceBuffer x(static_cast<size_t>(g.n) * g.h * g.w * g.c * l.esize, what);
  DeviceBuffer cols(l.direct ? 0 : static_cast<size_t>(slice_rows * l.kp) * l.esize, what);
  DeviceBuffer y(static_cast<size_t>(l.m * l.w->n) * l.esize, what);
  DeviceBuffer z(l.res >= 0 ? y.bytes() : 0, what);
  LtGemm gemm(opt_.lt, slice_config, opt_.workspace_limit, opt_.time_tactics, what, opt_.tactics);
  DeviceBuffer workspace(std::max(gemm.workspace_bytes(), dnn.workspace_bytes()), what);
  const ScratchStream scratch(opt_.dnn, what);
  for (const DeviceBuffer* b : {&x, &cols, &y, &z}) {
    if (b->bytes() == 0) continue;
    check_cuda(cudaMemsetAsync(b->get(), 0, b->bytes(), scratch.stream), what + ": cudaMemset");
  }
  const void* weights = l.w->weights.get();
  const int kp = static_cast<int>(l.kp);
  const float slice_ms = time_on_device(what, scratch.stream, [&](cudaStream_t stream) {
    if (!l.direct) im2col_nhwc(x.get(), t, cols.get(), slice, kp, 0, stream);
    gemm.run(opt_.lt, weights, l.direct ? x.get() : cols.get(), z.get(), y.get(), workspace.get(),
             stream);
  });
  const float gemm_ms = slice_ms * static_cast<float>(g.n) / static_cast<float>(l.per_slice);
  if (!scratch.dnn) return false;
  const float dnn_ms = time_on_device(what, scratch.stream, [&](cudaStream_t) {
    dnn.run(opt_.dnn, x.get(), weights, z.get(), y.get(), workspace.get());
  });
  char text[96];
  std::snprintf(text, sizeof(text), " (%.3f ms vs im2col + cuBLASLt %.3f ms)", dnn_ms, gemm_ms);
  timing = text;
  // cuDNN must win clearly, so that timing noise does not flip the choice between compiles.
  return dnn_ms < 0.97f * gemm_ms;
}

}  // namespace lowp::cuda

// Launching a CudaProgram's steps: each kind of step's parameters and slots become one kernel,
// cuBLASLt GEMM, cuDNN convolution or copy on the context's stream.
#include <type_traits>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/cuda_program.h"
#include "lowp/error.h"

namespace lowp::cuda {
namespace {

// The device address of `ref` (null when the step has no such slot).
void* at(const LaunchArgs& a, SlotRef ref) {
  return ref.present() ? static_cast<char*>(a.slots[ref.slot]) + ref.offset : nullptr;
}

struct Launcher {
  const Step& s;
  const LaunchArgs& a;
  void* src() const { return at(a, s.src); }
  void* aux() const { return at(a, s.aux); }
  void* dst() const { return at(a, s.dst); }

  void operator()(const CopyStep& p) const {
    check_cuda(cudaMemcpyAsync(dst(), src(), p.bytes, cudaMemcpyDeviceToDevice, a.stream),
               "cudaMemcpyAsync to an output");
  }
  void operator()(const LayoutStep& p) const {
    if (p.to_nhwc) {
      nchw_to_nhwc(src(), p.type, dst(), p.type, p.n, p.c, p.h, p.w, a.stream);
    } else {
      nhwc_to_nchw(src(), p.type, dst(), p.type, p.n, p.c, p.h, p.w, a.stream);
    }
  }
  void operator()(const Im2colStep& p) const {
    im2col_nhwc(src(), p.type, dst(), p.geometry, p.k_padded, p.pad_value, a.stream);
  }
  void operator()(const GemmStep& p) const {
    p.gemm->run(a.lt, p.weights, src(), aux(), dst(), a.workspace, a.stream);
  }
  void operator()(const CudnnConvStep& p) const {
    if (!a.dnn) throw_error(ErrorCode::kBackend, s.what + ": cuDNN is unavailable in this session");
    p.conv->run(a.dnn, src(), p.weights, aux(), dst(), a.workspace);
  }
  void operator()(const BiasResidualActStep& p) const {
    bias_residual_act(dst(), p.type, p.bias, aux(), p.rows, p.channels, p.act, a.stream);
  }
  void operator()(const Int8EpilogueStep& p) const {
    Int8Epilogue e = p.epilogue;
    e.residual = static_cast<const int8_t*>(aux());
    int8_epilogue(static_cast<const int32_t*>(src()), dst(), p.rows, p.channels, e, a.stream);
  }
  void operator()(const MaxPoolStep& p) const {
    max_pool_nhwc(src(), p.type, dst(), p.geometry, a.stream);
  }
  void operator()(const AvgPoolStep& p) const {
    avg_pool_nhwc(src(), p.type, dst(), p.geometry, p.count_include_pad, p.in_q, p.out_q, a.stream);
  }
  void operator()(const GlobalAvgPoolStep& p) const {
    global_avg_pool_nhwc(src(), p.type, dst(), p.n, p.hw, p.c, p.in_q, p.out_q, a.stream);
  }
  void operator()(const ActivationStep& p) const {
    activation(src(), dst(), p.type, p.count, p.act, QuantS8{}, a.stream);
  }
  void operator()(const AddStep& p) const {
    add_act(src(), p.a_q, aux(), p.b_q, dst(), p.out_q, p.type, p.count, p.act, a.stream);
  }
  void operator()(const SoftmaxStep& p) const {
    softmax_rows(static_cast<const float*>(src()), static_cast<float*>(dst()), p.rows, p.cols,
                 a.stream);
  }
  void operator()(const QuantizeStep& p) const {
    if (p.quantize) {
      quantize(src(), p.float_type, static_cast<int8_t*>(dst()), p.q, p.count, a.stream);
    } else {
      dequantize(static_cast<const int8_t*>(src()), p.q, dst(), p.float_type, p.count, a.stream);
    }
  }
  void operator()(const ConvertStep& p) const {
    convert(src(), p.from, dst(), p.to, p.count, a.stream);
  }
};

}  // namespace

void launch_step(const Step& step, const LaunchArgs& args) {
  std::visit(Launcher{step, args}, step.params);
}

}  // namespace lowp::cuda

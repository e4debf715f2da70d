// The per-op lowerings to oneDNN primitives (one file each). Each returns false, having changed
// nothing, when the node's case is not clearly supported; the builder then falls back.
#pragma once

#include <string>
#include <vector>

#include "backends/cpu/program_builder.h"

namespace lowp::cpu {

#define LOWP_CPU_LOWERING(name)                                                     \
  bool name(ProgramBuilder& b, const Node& node, const std::vector<TensorInfo>& in, \
            const std::vector<TensorInfo>& out)

LOWP_CPU_LOWERING(lower_conv);         // conv_lowering.cc
LOWP_CPU_LOWERING(lower_pool);         // pool_lowering.cc: MaxPool, AveragePool
LOWP_CPU_LOWERING(lower_global_pool);  // pool_lowering.cc: GlobalAveragePool, GlobalMaxPool
LOWP_CPU_LOWERING(lower_gemm);         // gemm_lowering.cc: Gemm, MatMul with constant 2-D B
LOWP_CPU_LOWERING(lower_matmul);       // matmul_lowering.cc: MatMul (else lower_gemm)
LOWP_CPU_LOWERING(lower_eltwise);      // eltwise_lowering.cc: Relu, Sigmoid, ...
LOWP_CPU_LOWERING(lower_binary);       // binary_lowering.cc: Add, Sub, Mul, Div
LOWP_CPU_LOWERING(lower_softmax);      // softmax_lowering.cc: Softmax, LogSoftmax
LOWP_CPU_LOWERING(lower_batchnorm);    // batchnorm_lowering.cc
LOWP_CPU_LOWERING(lower_cast);         // cast_lowering.cc: f32 <-> bf16
LOWP_CPU_LOWERING(lower_reduce);       // reduce_lowering.cc: ReduceMean, Sum, L1, L2, SumSquare
LOWP_CPU_LOWERING(lower_layer_norm);   // layer_norm_lowering.cc: LayerNormalization
LOWP_CPU_LOWERING(lower_transpose);    // transpose_lowering.cc: Transpose (a strided reorder)
LOWP_CPU_LOWERING(lower_slice);        // slice_lowering.cc: Slice (a strided reorder)
LOWP_CPU_LOWERING(lower_gather);       // gather_lowering.cc: Gather of one index (a reorder)
LOWP_CPU_LOWERING(lower_concat);       // concat_lowering.cc: Concat
LOWP_CPU_LOWERING(lower_pad);          // pad_lowering.cc: Pad (reorders; zero pads: an alias)
LOWP_CPU_LOWERING(lower_expand);       // expand_lowering.cc: Expand (a zero-stride reorder)

#undef LOWP_CPU_LOWERING

// Lowers `node` as one reorder from `view` (a strided description of input 0's plain bytes) into
// its plain output; false (nothing changed) when oneDNN has no such reorder. `what`: "transpose".
bool lower_view_reorder(ProgramBuilder& b, const Node& node, const dnnl::memory::desc& view,
                        DataType dtype, const Dims& out_dims, const std::string& what);

}  // namespace lowp::cpu

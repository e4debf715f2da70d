// The nn op group's schemas: convolution, pooling, matrix products, normalisation, Softmax, Resize
// and Pad. The inference functions live in conv_shapes.cc, pool_shapes.cc, linalg_shapes.cc,
// norm_shapes.cc and resize_pad_shapes.cc.
#include <string>

#include "core/ops/nn_infer.h"
#include "core/ops/op_groups.h"
#include "lowp/error.h"

namespace lowp {
namespace nn {

void throw_invalid(const Node& node, const std::string& what) {
  throw_error(ErrorCode::kInvalidModel, node.describe() + ": " + what);
}

void throw_unsupported(const Node& node, const std::string& what) {
  throw_error(ErrorCode::kUnsupported, node.describe() + ": " + what);
}

bool has(const std::vector<TensorInfo>& in, size_t i) { return i < in.size() && in[i].present; }

void require_float(const Node& node, const std::vector<TensorInfo>& in, size_t i) {
  const DataType t = in[i].dtype;
  if (t != DataType::kF32 && t != DataType::kF16 && t != DataType::kBF16) {
    throw_unsupported(node, "input " + std::to_string(i) + " has dtype " + name_of(t) +
                                ", expected a float type");
  }
}

void require_rank(const Node& node, const std::vector<TensorInfo>& in, size_t i, size_t rank,
                  bool at_least) {
  const size_t r = in[i].dims.size();
  if (at_least ? r < rank : r != rank) {
    throw_invalid(node, "input " + std::to_string(i) + " has rank " + std::to_string(r) +
                            " (dims " + dims_to_string(in[i].dims) + "), expected " +
                            (at_least ? "at least " : "") + std::to_string(rank));
  }
}

TensorInfo output(DataType dtype, Dims dims) {
  TensorInfo t;
  t.dtype = dtype;
  t.dims = std::move(dims);
  return t;
}

}  // namespace nn

void append_nn_schemas(std::vector<OpSchema>& out) {
  out.push_back({"Conv", 2, 4, nn::infer_conv, Fp16Policy::kAlways, 0, Int8Role::kCompute, 0b1001,
                 kAllActivations, 3});
  out.back().work = nn::conv_work;
  out.push_back({"ConvTranspose", 2, 3, nn::infer_conv_transpose, Fp16Policy::kAlways});
  out.back().work = nn::conv_transpose_work;
  out.push_back({"MaxPool", 1, 1, nn::infer_max_pool, Fp16Policy::kFollowInputs, 0,
                 Int8Role::kPassThrough, 0b1});
  out.back().work = nn::pool_work;
  out.push_back({"AveragePool", 1, 1, nn::infer_average_pool, Fp16Policy::kFollowInputs, 0,
                 Int8Role::kCompute, 0b1});
  out.back().work = nn::pool_work;
  out.push_back({"GlobalAveragePool", 1, 1, nn::infer_global_pool, Fp16Policy::kFollowInputs, 0,
                 Int8Role::kCompute, 0b1});
  out.push_back({"GlobalMaxPool", 1, 1, nn::infer_global_pool});
  out.push_back({"Gemm", 2, 3, nn::infer_gemm, Fp16Policy::kAlways, 0, Int8Role::kCompute, 0b1,
                 kAllActivations});
  out.back().work = nn::matmul_work;
  // Input 2 (lowp's fused form, made by MatMulAddFusionPass): a bias of N elements.
  out.push_back({"MatMul", 2, 3, nn::infer_matmul, Fp16Policy::kAlways, 0, Int8Role::kNone, 0,
                 kAllActivations, 2});
  out.back().work = nn::matmul_work;
  // Runs on the reference kernel unless EinsumDecompositionPass turns it into MatMul/Transpose,
  // which it does for every equation exporters emit in vision models; summed in f32.
  out.push_back({"Einsum", 1, 8, nn::infer_einsum, Fp16Policy::kNever});
  out.back().work = nn::einsum_work;
  out.push_back({"BatchNormalization", 5, 5, nn::infer_batch_norm, Fp16Policy::kNever});
  // Mean and variance accumulate in f32: kept out of fp16 / bf16.
  out.push_back({"LayerNormalization", 2, 3, nn::infer_layer_norm, Fp16Policy::kNever});
  out.push_back({"Softmax", 1, 1, nn::infer_softmax, Fp16Policy::kNever});
  out.push_back({"Resize", 1, 4, nn::infer_resize, Fp16Policy::kFollowInputs, 0b1110});
  out.push_back({"Pad", 2, 4, nn::infer_pad, Fp16Policy::kFollowInputs, 0b1010});
}

}  // namespace lowp

// Internal to the nn op group's schema files: the shape-inference functions each file defines
// (nn_shapes.cc registers them) and small checks they share.
#pragma once

#include <string>
#include <vector>

#include "lowp/graph.h"
#include "lowp/op_schema.h"

namespace lowp::nn {

// conv_shapes.cc
std::vector<TensorInfo> infer_conv(const Node& node, const std::vector<TensorInfo>& in);
std::vector<TensorInfo> infer_conv_transpose(const Node& node, const std::vector<TensorInfo>& in);
// pool_shapes.cc
std::vector<TensorInfo> infer_max_pool(const Node& node, const std::vector<TensorInfo>& in);
std::vector<TensorInfo> infer_average_pool(const Node& node, const std::vector<TensorInfo>& in);
std::vector<TensorInfo> infer_global_pool(const Node& node, const std::vector<TensorInfo>& in);
// linalg_shapes.cc
std::vector<TensorInfo> infer_gemm(const Node& node, const std::vector<TensorInfo>& in);
std::vector<TensorInfo> infer_matmul(const Node& node, const std::vector<TensorInfo>& in);
std::vector<TensorInfo> infer_einsum(const Node& node, const std::vector<TensorInfo>& in);
// norm_shapes.cc
std::vector<TensorInfo> infer_batch_norm(const Node& node, const std::vector<TensorInfo>& in);
std::vector<TensorInfo> infer_layer_norm(const Node& node, const std::vector<TensorInfo>& in);
std::vector<TensorInfo> infer_softmax(const Node& node, const std::vector<TensorInfo>& in);
// resize_pad_shapes.cc
std::vector<TensorInfo> infer_resize(const Node& node, const std::vector<TensorInfo>& in);
std::vector<TensorInfo> infer_pad(const Node& node, const std::vector<TensorInfo>& in);

// nn_work.cc: OpSchema::work of the ops that reduce over many inputs per output element.
double conv_work(const Node& node, const std::vector<TensorInfo>& in,
                 const std::vector<TensorInfo>& out);
double conv_transpose_work(const Node& node, const std::vector<TensorInfo>& in,
                           const std::vector<TensorInfo>& out);
double pool_work(const Node& node, const std::vector<TensorInfo>& in,
                 const std::vector<TensorInfo>& out);
double matmul_work(const Node& node, const std::vector<TensorInfo>& in,
                   const std::vector<TensorInfo>& out);
double einsum_work(const Node& node, const std::vector<TensorInfo>& in,
                   const std::vector<TensorInfo>& out);

// Helpers (nn_shapes.cc).
[[noreturn]] void throw_invalid(const Node& node, const std::string& what);
[[noreturn]] void throw_unsupported(const Node& node, const std::string& what);
bool has(const std::vector<TensorInfo>& in, size_t i);
// Throws kUnsupported unless input i is f32, f16 or bf16.
void require_float(const Node& node, const std::vector<TensorInfo>& in, size_t i);
// Throws kInvalidModel unless input i has rank `rank` (or at least `rank` when `at_least`).
void require_rank(const Node& node, const std::vector<TensorInfo>& in, size_t i, size_t rank,
                  bool at_least = false);
// A present output of `dtype` and `dims`.
TensorInfo output(DataType dtype, Dims dims);

}  // namespace lowp::nn

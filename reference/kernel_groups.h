// Each op group's file contributes its reference kernels to the table in reference_kernels.cc.
#pragma once

#include <map>
#include <string>

#include "reference/reference_kernels.h"

namespace lowp::reference {

using KernelTable = std::map<std::string, Kernel>;
void append_nn_kernels(KernelTable& out);           // conv.cc, pool.cc, gemm.cc, ...
void append_elementwise_kernels(KernelTable& out);  // elementwise.cc
void append_tensor_kernels(KernelTable& out);       // tensor_ops.cc
void append_quant_kernels(KernelTable& out);        // quantize_linear.cc
void append_math_kernels(KernelTable& out);         // math_kernels.cc
void append_generator_kernels(KernelTable& out);    // generator_kernels.cc

}  // namespace lowp::reference

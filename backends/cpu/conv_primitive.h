// What the float and int8 Conv lowerings share: the checks that a Conv node is one oneDNN's
// forward convolution runs, creating the primitive, and wiring its source, packed weights and
// destination (the residual summed in place when it may be overwritten) into the program.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>
#include <optional>
#include <string>
#include <vector>

#include "backends/cpu/program_builder.h"
#include "backends/cpu/window_geometry.h"
#include "lowp/graph.h"

namespace lowp::cpu {

struct ConvShape {
  Dims x, w, y;      // N,C,H,W source, O,I/g,KH,KW weights, N,O,OH,OW destination
  Dims weight_dims;  // as oneDNN takes them: g,O/g,I/g,KH,KW when grouped
  WindowGeometry geometry;
  bool has_bias = false;      // input 2
  bool has_residual = false;  // input 3, summed into the destination
};

// The Conv's shape when oneDNN can run it: 2-D, non-empty, consistent groups and kernel_shape,
// a window without extended end padding, a constant weight, a residual of the output's dims.
std::optional<ConvShape> conv_shape(const Node& node, const std::vector<TensorInfo>& in,
                                    const std::vector<TensorInfo>& out);

// A forward-inference direct convolution over `shape`; false when oneDNN has none for these
// descriptors (then the node takes another lowering).
bool create_convolution(const ProgramBuilder& b, const ConvShape& shape,
                        const dnnl::memory::desc& src, const dnnl::memory::desc& weights,
                        const dnnl::memory::desc& bias, const dnnl::memory::desc& dst,
                        const dnnl::primitive_attr& attr,
                        dnnl::convolution_forward::primitive_desc* pd, dnnl::primitive* primitive);

// Appends the SRC argument (input 0 reordered to the primitive's layout) and the WEIGHTS argument
// (`weights`, plain as `weight_dtype`, packed once); returns the source slot.
int add_source_and_weights(ProgramBuilder& b, const Node& node, const ConvShape& shape,
                           const dnnl::convolution_forward::primitive_desc& pd,
                           DataType weight_dtype, const void* weights,
                           std::vector<MemoryArg>* args);

// Appends the DST argument: with a residual, its slot when it may be overwritten in place (the
// sum reads it as `residual_dtype`), else a new output; appends " +sum(in-place)" / " +sum" to
// `tags` in that case.
void add_destination(ProgramBuilder& b, const Node& node, const ConvShape& shape,
                     const dnnl::convolution_forward::primitive_desc& pd, DataType dst_dtype,
                     DataType residual_dtype, int src_slot, std::vector<MemoryArg>* args,
                     std::string* tags);

}  // namespace lowp::cpu

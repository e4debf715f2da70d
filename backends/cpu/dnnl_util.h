// Small helpers around oneDNN shared by the CPU backend: plain descriptors, layout names, primitive
// attributes and error wrapping.
#pragma once

#include <cstddef>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>

#include "lowp/graph.h"
#include "lowp/tensor.h"

namespace lowp::cpu {

inline constexpr size_t kAlignment = 64;

inline size_t align_up(size_t bytes) { return (bytes + kAlignment - 1) / kAlignment * kAlignment; }

// True for the element types oneDNN primitives compute on here (f32, bf16 and the int8 storage
// types s8 / u8): values of these types may live in blocked layouts (e.g. nhwc for int8); every
// other type is kept plain.
bool has_dnnl_layout(DataType dtype);
// oneDNN's element type for f32 / bf16 / f16 / s8 / u8 / s32 (f32 for the others).
dnnl::memory::data_type to_dnnl_type(DataType dtype);
// "fp32" / "bf16" for describe() lines.
const char* precision_tag(DataType dtype);
// Dense row-major descriptor (rank 0 is described as {1}).
dnnl::memory::desc plain_desc(const Dims& dims, DataType dtype = DataType::kF32);
// Descriptor with `format_tag::any` for primitive creation.
dnnl::memory::desc any_desc(const Dims& dims, DataType dtype = DataType::kF32);
dnnl::memory::dims to_dnnl(const Dims& dims);
// `desc` with its element type replaced (same dims and element strides).
dnnl::memory::desc with_data_type(const dnnl::memory::desc& desc, DataType dtype);

// True when `desc` lays the elements out densely in row-major order (strides of size-1 dims
// ignored), i.e. the bytes are identical to a plain Tensor.
bool is_plain(const dnnl::memory::desc& desc);

// "nChw16c"-style name of a layout.
std::string layout_name(const dnnl::memory::desc& desc);

// Attributes every primitive is created with: user-managed scratchpad (each context owns its
// scratchpad, so concurrent sessions never share one).
dnnl::primitive_attr default_attr();

// Throws lowp::Error(kBackend) naming the node and the primitive that failed.
[[noreturn]] void throw_dnnl_error(const Node* node, const std::string& what, const dnnl::error& e);

// A 64-byte aligned, uninitialised heap buffer.
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(size_t bytes);
  void* data() const { return data_.get(); }
  size_t size() const { return size_; }

 private:
  struct Free {
    void operator()(void* p) const;
  };
  std::unique_ptr<void, Free> data_;
  size_t size_ = 0;
};

// Shared, immutable aligned storage (packed weights, folded constants).
std::shared_ptr<void> make_shared_buffer(size_t bytes);

}  // namespace lowp::cpu

#include "backends/cpu/dnnl_util.h"

#include <algorithm>
#include <cstdlib>
#include <numeric>
#include <vector>

#include "lowp/error.h"

namespace lowp::cpu {

dnnl::memory::dims to_dnnl(const Dims& dims) {
  if (dims.empty()) return {1};
  return dnnl::memory::dims(dims.begin(), dims.end());
}

bool has_dnnl_layout(DataType dtype) {
  return dtype == DataType::kF32 || dtype == DataType::kBF16 || dtype == DataType::kS8 ||
         dtype == DataType::kU8;
}

dnnl::memory::data_type to_dnnl_type(DataType dtype) {
  using dt = dnnl::memory::data_type;
  switch (dtype) {
    case DataType::kBF16:
      return dt::bf16;
    case DataType::kF16:
      return dt::f16;
    case DataType::kS8:
      return dt::s8;
    case DataType::kU8:
      return dt::u8;
    case DataType::kS32:
      return dt::s32;
    default:
      return dt::f32;
  }
}

const char* precision_tag(DataType dtype) {
  return dtype == DataType::kF32 ? "fp32" : name_of(dtype);
}

dnnl::memory::desc plain_desc(const Dims& dims, DataType dtype) {
  dnnl::memory::dims d = to_dnnl(dims);
  dnnl::memory::dims strides(d.size());
  int64_t stride = 1;
  for (size_t i = d.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= std::max<int64_t>(d[i], 1);
  }
  return dnnl::memory::desc(d, to_dnnl_type(dtype), strides);
}

dnnl::memory::desc any_desc(const Dims& dims, DataType dtype) {
  return dnnl::memory::desc(to_dnnl(dims), to_dnnl_type(dtype), dnnl::memory::format_tag::any);
}

dnnl::memory::desc with_data_type(const dnnl::memory::desc& desc, DataType dtype) {
  dnnl_memory_desc_t d = desc.data;
  d.data_type = static_cast<dnnl_data_type_t>(to_dnnl_type(dtype));
  d.extra = dnnl_memory_extra_desc_t{};
  return dnnl::memory::desc(d);
}

bool is_plain(const dnnl::memory::desc& desc) {
  const dnnl_memory_desc_t& d = desc.data;
  if (d.format_kind != dnnl_blocked || d.offset0 != 0) return false;
  if (d.format_desc.blocking.inner_nblks != 0) return false;
  int64_t expected = 1;
  for (int i = d.ndims; i-- > 0;) {
    if (d.padded_dims[i] != d.dims[i]) return false;
    if (d.dims[i] != 1 && d.format_desc.blocking.strides[i] != expected) return false;
    expected *= d.dims[i];
  }
  return true;
}

std::string layout_name(const dnnl::memory::desc& desc) {
  const dnnl_memory_desc_t& d = desc.data;
  if (d.format_kind != dnnl_blocked) return "any";
  const auto& blk = d.format_desc.blocking;
  const char* letters = d.ndims == 4 ? "nchw" : (d.ndims == 5 ? "goihw" : "abcdefghijkl");
  std::vector<int> order(static_cast<size_t>(d.ndims));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return blk.strides[a] > blk.strides[b]; });
  std::vector<bool> blocked(static_cast<size_t>(d.ndims), false);
  for (int i = 0; i < blk.inner_nblks; ++i) blocked[static_cast<size_t>(blk.inner_idxs[i])] = true;
  std::string name;
  for (int i : order) {
    char c = letters[i];
    name += blocked[static_cast<size_t>(i)] ? static_cast<char>(c - 'a' + 'A') : c;
  }
  for (int i = 0; i < blk.inner_nblks; ++i) {
    name += std::to_string(blk.inner_blks[i]) + letters[blk.inner_idxs[i]];
  }
  return name;
}

dnnl::primitive_attr default_attr() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

void throw_dnnl_error(const Node* node, const std::string& what, const dnnl::error& e) {
  std::string where = node ? node->describe() : std::string("cpu backend");
  throw Error(ErrorCode::kBackend, where + ": oneDNN " + what + " failed: " + e.what());
}

void AlignedBuffer::Free::operator()(void* p) const { std::free(p); }

AlignedBuffer::AlignedBuffer(size_t bytes) : size_(bytes) {
  void* p = std::aligned_alloc(kAlignment, align_up(std::max<size_t>(bytes, 1)));
  if (!p)
    throw Error(ErrorCode::kInternal,
                "cpu backend: out of memory allocating " + std::to_string(bytes) + " bytes");
  data_.reset(p);
}

std::shared_ptr<void> make_shared_buffer(size_t bytes) {
  void* p = std::aligned_alloc(kAlignment, align_up(std::max<size_t>(bytes, 1)));
  if (!p)
    throw Error(ErrorCode::kInternal,
                "cpu backend: out of memory allocating " + std::to_string(bytes) + " bytes");
  return std::shared_ptr<void>(p, [](void* q) { std::free(q); });
}

}  // namespace lowp::cpu

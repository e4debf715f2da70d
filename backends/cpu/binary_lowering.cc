// Add / Sub / Mul / Div -> oneDNN binary. The full-size operand is src0 (swapped for Add / Mul when
// needed) and keeps its layout; a same-size src1 is brought to that layout, a broadcast src1 must
// be plain. Anything oneDNN rejects falls back.
//
// oneDNN 2.6's fast (jit) binary takes only some broadcasts; others (a broadcast dim between two
// full ones, e.g. Swin's window mask [1, W, 1, T, T] added to [N, W, H, T, T]) get its reference
// implementation, ~70x slower. For those the plain operands are described with coalesced dims
// (size-1 output dims dropped, neighbours that broadcast alike merged) and, when src1 is known
// while building, src1 is expanded so that it broadcasts only over leading dims.
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "backends/cpu/dnnl_util.h"
#include "backends/cpu/lowerings.h"
#include "core/ops/broadcast.h"
#include "reference/strided_loop.h"

namespace lowp::cpu {
namespace {

struct BinaryDims {
  Dims y;
  Dims src1;  // same rank as y; 1 where src1 broadcasts
};

// Drops output dims of size 1 and merges neighbours where src1 is either full in both or
// broadcast in both. The element order of plain operands is unchanged.
BinaryDims coalesce(const Dims& y, const Dims& src1) {
  BinaryDims c;
  int last = -1;  // 1: the last kept dim is full in src1, 0: broadcast
  for (size_t i = 0; i < y.size(); ++i) {
    if (y[i] == 1) continue;
    const int full = src1[i] == y[i] ? 1 : 0;
    if (full == last) {
      c.y.back() *= y[i];
      c.src1.back() *= src1[i];
    } else {
      c.y.push_back(y[i]);
      c.src1.push_back(src1[i]);
      last = full;
    }
  }
  if (c.y.empty()) c.y = c.src1 = {1};
  return c;
}

// src1's bytes repeated over every broadcast dim after its first full one (dims coalesced), as
// the reference Expand kernel does.
std::shared_ptr<void> expand_past_first_full_dim(const BinaryDims& c, const void* data,
                                                 size_t element_bytes, BinaryDims* expanded) {
  size_t first_full = 0;
  while (first_full < c.y.size() && c.src1[first_full] == 1) ++first_full;
  Dims to = c.src1;
  for (size_t i = first_full; i < c.y.size(); ++i) to[i] = c.y[i];
  std::shared_ptr<void> out =
      make_shared_buffer(static_cast<size_t>(element_count(to)) * element_bytes);
  const auto* src = static_cast<const char*>(data);
  auto* dst = static_cast<char*>(out.get());
  reference::for_each_strided(
      to, {broadcast_strides(c.src1, to)}, [&](int64_t i, const int64_t* o) {
        std::memcpy(dst + i * static_cast<int64_t>(element_bytes),
                    src + o[0] * static_cast<int64_t>(element_bytes), element_bytes);
      });
  *expanded = coalesce(c.y, to);
  return out;
}

dnnl::binary::primitive_desc binary_pd(dnnl::algorithm algorithm, const dnnl::memory::desc& d0,
                                       const dnnl::memory::desc& d1, const dnnl::engine& engine) {
  dnnl::binary::desc d(algorithm, d0, d1, d0);
  return dnnl::binary::primitive_desc(d, default_attr(), engine);
}

bool is_reference_impl(const dnnl::binary::primitive_desc& pd) {
  return std::string(pd.impl_info_str()).rfind("ref", 0) == 0;
}

// True when src1 (dims coalesced) broadcasts over a dim that follows one it does not.
bool broadcasts_after_full_dim(const BinaryDims& c) {
  bool full_seen = false;
  for (size_t i = 0; i < c.y.size(); ++i) {
    if (c.src1[i] != 1 || c.y[i] == 1)
      full_seen = true;
    else if (full_seen)
      return true;
  }
  return false;
}

// The operands of one oneDNN binary: descriptors of src0 (and dst) and src1, src1's slot when it
// is an expanded constant (-1: the value's own slot).
struct BinaryArgs {
  dnnl::binary::primitive_desc pd;
  dnnl::memory::desc src0, src1;
  int src1_slot = -1;
};

// The broadcast of plain operands with coalesced (and, for a known src1, expanded) dims, when
// oneDNN has a fast implementation for it.
bool coalesced_binary(ProgramBuilder& b, dnnl::algorithm algorithm, const Dims& y,
                      const Dims& aligned, DataType dtype0, const Value* src1, BinaryArgs* args) {
  const ProgramBuilder::ValueState& s1 = b.state(src1);
  auto fast = [&](const BinaryDims& c) {
    dnnl::memory::desc d0 = plain_desc(c.y, dtype0), d1 = plain_desc(c.src1, s1.dtype);
    dnnl::binary::primitive_desc pd = binary_pd(algorithm, d0, d1, b.engine());
    if (is_reference_impl(pd)) return false;
    *args = {pd, d0, d1, -1};
    return true;
  };
  const BinaryDims c = coalesce(y, aligned);
  if (fast(c)) return true;
  if (!broadcasts_after_full_dim(c) || s1.known == nullptr || s1.known->dtype() != s1.dtype) {
    return false;
  }
  BinaryDims e;
  std::shared_ptr<void> expanded =
      expand_past_first_full_dim(c, s1.known->raw(), size_of(s1.dtype), &e);
  if (!fast(e)) return false;
  const size_t bytes = static_cast<size_t>(element_count(e.src1)) * size_of(s1.dtype);
  args->src1_slot = b.constant_slot(b.keep(std::move(expanded)), bytes);
  return true;
}

// The dims in channels-last order (N, spatial..., C) as strides of the logical [N, C, ...] dims.
dnnl::memory::desc channels_last_desc(const Dims& dims, DataType dtype) {
  dnnl::memory::dims strides(dims.size());
  int64_t stride = 1;
  strides[1] = stride;
  stride *= dims[1];
  for (size_t i = dims.size(); i-- > 2;) {
    strides[i] = stride;
    stride *= dims[i];
  }
  strides[0] = stride;
  return dnnl::memory::desc(to_dnnl(dims), to_dnnl_type(dtype), strides);
}

// A blocked src0 (a convolution's nChw8c / nChw16c output) with a broadcast src1 gets oneDNN
// 2.6's reference kernel (regnet_y_400mf's squeeze-excite Mul: 33 of its 43 ms): src0 is brought
// to channels-last or plain instead when oneDNN has a fast kernel for that.
void prefer_fast_layout(const dnnl::engine& engine, dnnl::algorithm algorithm, const Dims& y,
                        DataType dtype0, BinaryArgs* args) {
  std::vector<dnnl::memory::desc> layouts = {plain_desc(y, dtype0)};
  if (y.size() >= 3) layouts.insert(layouts.begin(), channels_last_desc(y, dtype0));
  for (const dnnl::memory::desc& layout : layouts) {
    dnnl::binary::primitive_desc pd = binary_pd(algorithm, layout, args->src1, engine);
    if (!is_reference_impl(pd)) {
      *args = {pd, layout, args->src1, -1};
      return;
    }
  }
}

}  // namespace

bool lower_binary(ProgramBuilder& b, const Node& node, const std::vector<TensorInfo>& in,
                  const std::vector<TensorInfo>& out) {
  if (in.size() != 2 || !in[0].present || !in[1].present || out.size() != 1) return false;
  const Dims& y = out[0].dims;
  if (y.empty() || y.size() > 6 || element_count(y) == 0) return false;
  const std::string& op = node.op_type;
  dnnl::algorithm algorithm = op == "Add"   ? dnnl::algorithm::binary_add
                              : op == "Sub" ? dnnl::algorithm::binary_sub
                              : op == "Mul" ? dnnl::algorithm::binary_mul
                                            : dnnl::algorithm::binary_div;
  const bool commutative = op == "Add" || op == "Mul";
  size_t first = 0;
  if (in[0].dims != y) {
    if (!commutative || in[1].dims != y) return false;
    first = 1;
  }
  const Value* src0 = node.inputs[first];
  const Value* src1 = node.inputs[1 - first];
  const Dims& d1 = in[1 - first].dims;
  if (d1.size() > y.size()) return false;
  const Dims aligned = left_padded(d1, y.size());

  dnnl::memory::desc layout0 = b.state(src0).desc;
  // Same dims and rank: src1 is brought to src0's layout. A lower-rank src1 (even one whose
  // aligned dims equal the output's) stays plain, described with the aligned dims.
  const bool same = d1 == y;
  BinaryArgs args;
  args.src0 = layout0;
  args.src1 = same ? layout0 : plain_desc(aligned, in[1 - first].dtype);
  try {
    args.pd = binary_pd(algorithm, args.src0, args.src1, b.engine());
    if (!same && is_reference_impl(args.pd) && !is_plain(layout0)) {
      prefer_fast_layout(b.engine(), algorithm, y, in[first].dtype, &args);
      layout0 = args.src0;
    }
    if (!same && is_reference_impl(args.pd) && is_plain(layout0)) {
      coalesced_binary(b, algorithm, y, aligned, in[first].dtype, src1, &args);
    }
  } catch (const dnnl::error&) {
    return false;
  }
  dnnl::primitive primitive(args.pd);
  int slot0 = b.slot_in_layout(src0, layout0);
  int slot1 = args.src1_slot >= 0 ? args.src1_slot
              : same              ? b.slot_in_layout(src1, args.src1)
                                  : b.slot_plain(src1);
  int dst_slot = b.place_elementwise_output(src0, node.outputs[0], y, layout0, {src1});
  b.add_primitive(&node, "binary", primitive,
                  {{DNNL_ARG_SRC_0, args.src0, slot0},
                   {DNNL_ARG_SRC_1, args.src1, slot1},
                   {DNNL_ARG_DST, args.src0, dst_slot}},
                  args.pd.scratchpad_desc());
  b.describe_current("onednn binary " + std::string(precision_tag(in[0].dtype)) + " " +
                     layout_name(layout0) + (dst_slot == slot0 ? " (in-place)" : "") +
                     (args.src1_slot >= 0 ? " (broadcast constant expanded)" : ""));
  return true;
}

}  // namespace lowp::cpu

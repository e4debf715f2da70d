// Small checks shared by the elementwise and tensor-manipulation schemas: dtype classes, axis
// normalisation and access to constant input values. Every failure names the node.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "lowp/graph.h"
#include "lowp/op_schema.h"

namespace lowp {

bool is_float_type(DataType type);    // f32 f16 bf16
bool is_integer_type(DataType type);  // s8 u8 s32 s64
inline bool is_numeric_type(DataType type) { return is_float_type(type) || is_integer_type(type); }

// True when input i was given.
bool has_input(const std::vector<TensorInfo>& inputs, size_t i);

// Input i's contents; throws kUnsupported naming the node when unknown, kInvalidModel when the
// input is missing. `what` names the input in the message ("shape", "axes", ...).
const Tensor& require_value(const Node& node, const std::vector<TensorInfo>& inputs, size_t i,
                            const std::string& what);

// Throws kUnsupported naming the node unless `ok`; the message says which dtype was refused.
void require_dtype(const Node& node, bool ok, DataType got, const std::string& expected);

// Maps an axis in [-rank, rank) to [0, rank); throws kInvalidModel naming the node otherwise.
int64_t normalize_axis(const Node& node, int64_t axis, int64_t rank);

TensorInfo make_info(DataType dtype, Dims dims);

}  // namespace lowp

// A mutator that knows ONNX's structure, for libFuzzer's LLVMFuzzerCustomMutator: byte-level
// mutations of a protobuf mostly break its framing and never reach the importer's checks, so this
// one parses the model and changes what a hostile or broken file changes: dims (of initializers,
// graph inputs, value infos), attributes (ints, floats, strings, tensors), initializer data and
// types (truncated, external, NaN / inf / huge / negative values: quantization scales and zero
// points are initializers too), wiring (a node input pointed at another value, a node duplicated
// or dropped, an op type swapped, an intermediate made a graph output) and the opset.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lowp::fuzz {

// Mutates the serialized ModelProto in `data[0, size)` in place (room: `max_size`) with one
// structured change drawn from `seed` (a quarter of the time 2 to 4). Returns the new size, or 0
// when the bytes are not a ModelProto or the result would not fit (the caller then mutates the
// bytes instead).
size_t mutate_onnx_model(uint8_t* data, size_t size, size_t max_size, unsigned seed);

}  // namespace lowp::fuzz

// DataType: lowp's own element-type enum with stable values (they are written into plan files) and
// a traits table. Never store ONNX's integers in the IR; the frontend maps them once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace lowp {

enum class DataType : uint8_t {
  kUndefined = 0,
  kF32 = 1,
  kF16 = 2,
  kBF16 = 3,
  kS8 = 4,
  kU8 = 5,
  kS32 = 6,
  kS64 = 7,
  kBool = 8,
};
inline constexpr int kNumDataTypes = 9;

struct DataTypeTraits {
  DataType type;
  const char* name;
  size_t size;  // bytes per element
  bool is_float;
  bool is_quantized_storage;  // s8/u8 may carry QuantParams
};

const DataTypeTraits& traits(DataType type);
inline size_t size_of(DataType type) { return traits(type).size; }
// The value range of an int8-contract storage type: u8, s8, else s32.
inline int32_t storage_min(DataType t) {
  return t == DataType::kU8 ? 0 : (t == DataType::kS8 ? -128 : INT32_MIN);
}
inline int32_t storage_max(DataType t) {
  return t == DataType::kU8 ? 255 : (t == DataType::kS8 ? 127 : INT32_MAX);
}
inline const char* name_of(DataType type) { return traits(type).name; }
// Parses "f32", "float32", ...; returns kUndefined when unknown.
DataType parse_data_type(std::string_view name);

// IEEE half and bfloat16 conversions (round to nearest even).
uint16_t float_to_half(float value);
float half_to_float(uint16_t bits);
uint16_t float_to_bf16(float value);
float bf16_to_float(uint16_t bits);

}  // namespace lowp

#include "lowp/dtype.h"

#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <string>

namespace lowp {
namespace {

constexpr std::array<DataTypeTraits, kNumDataTypes> kTraits = {{
    {DataType::kUndefined, "undefined", 0, false, false},
    {DataType::kF32, "f32", 4, true, false},
    {DataType::kF16, "f16", 2, true, false},
    {DataType::kBF16, "bf16", 2, true, false},
    {DataType::kS8, "s8", 1, false, true},
    {DataType::kU8, "u8", 1, false, true},
    {DataType::kS32, "s32", 4, false, false},
    {DataType::kS64, "s64", 8, false, false},
    {DataType::kBool, "bool", 1, false, false},
}};

constexpr bool traits_cover_every_type() {
  for (int i = 0; i < kNumDataTypes; ++i) {
    if (static_cast<int>(kTraits[i].type) != i) return false;
  }
  return true;
}
static_assert(traits_cover_every_type(), "kTraits must list every DataType in enum order");

}  // namespace

const DataTypeTraits& traits(DataType type) {
  auto index = static_cast<size_t>(type);
  return index < kTraits.size() ? kTraits[index] : kTraits[0];
}

DataType parse_data_type(std::string_view name) {
  for (const auto& t : kTraits) {
    if (name == t.name) return t.type;
  }
  if (name == "float32" || name == "float") return DataType::kF32;
  if (name == "float16" || name == "half") return DataType::kF16;
  if (name == "bfloat16") return DataType::kBF16;
  if (name == "int8") return DataType::kS8;
  if (name == "uint8") return DataType::kU8;
  if (name == "int32") return DataType::kS32;
  if (name == "int64") return DataType::kS64;
  return DataType::kUndefined;
}

uint16_t float_to_half(float value) {
  uint32_t x = std::bit_cast<uint32_t>(value);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) {  // inf or nan
    return static_cast<uint16_t>(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u));
  }
  if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // overflow -> inf
  if (abs < 0x38800000u) {                                               // subnormal or zero
    // Scale into the subnormal range and round with the FPU (round to nearest even).
    float f = std::bit_cast<float>(abs) * 16777216.0f;  // 2^24
    auto m = static_cast<uint32_t>(std::nearbyint(f));
    return static_cast<uint16_t>(sign | m);
  }
  uint32_t mant = abs & 0x7fffffu;
  uint32_t exp = (abs >> 23) - 112;
  uint32_t h = (exp << 10) | (mant >> 13);
  uint32_t rest = mant & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;
  return static_cast<uint16_t>(sign | h);
}

float half_to_float(uint16_t bits) {
  uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  uint32_t exp = (bits >> 10) & 0x1fu;
  uint32_t mant = bits & 0x3ffu;
  if (exp == 0) {
    float f = static_cast<float>(mant) / 16777216.0f;
    return sign ? -f : f;
  }
  if (exp == 31) return std::bit_cast<float>(sign | 0x7f800000u | (mant << 13));
  return std::bit_cast<float>(sign | ((exp + 112) << 23) | (mant << 13));
}

uint16_t float_to_bf16(float value) {
  uint32_t x = std::bit_cast<uint32_t>(value);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);
  uint32_t rounding = 0x7fffu + ((x >> 16) & 1u);
  return static_cast<uint16_t>((x + rounding) >> 16);
}

float bf16_to_float(uint16_t bits) {
  return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16);
}

}  // namespace lowp

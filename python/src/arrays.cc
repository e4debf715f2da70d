#include "python/src/arrays.h"

#include <memory>
#include <vector>

#include "lowp/error.h"

namespace lowp::python {
namespace {

// The element types that cross between numpy / DLPack and lowp, one table for both directions.
struct DtypePair {
  DataType lowp;
  nb::dlpack::dtype_code code;
  uint8_t bits;
};
constexpr DtypePair kDtypes[] = {
    {DataType::kF32, nb::dlpack::dtype_code::Float, 32},
    {DataType::kF16, nb::dlpack::dtype_code::Float, 16},
    {DataType::kS8, nb::dlpack::dtype_code::Int, 8},
    {DataType::kU8, nb::dlpack::dtype_code::UInt, 8},
    {DataType::kS32, nb::dlpack::dtype_code::Int, 32},
    {DataType::kS64, nb::dlpack::dtype_code::Int, 64},
};

DataType dtype_of(const nb::dlpack::dtype& dt) {
  for (const DtypePair& p : kDtypes) {
    if (dt.lanes == 1 && dt.code == static_cast<uint8_t>(p.code) && dt.bits == p.bits)
      return p.lowp;
  }
  return DataType::kUndefined;
}

nb::dlpack::dtype dlpack_of(DataType dtype) {
  for (const DtypePair& p : kDtypes) {
    if (p.lowp != dtype) continue;
    nb::dlpack::dtype d;
    d.code = static_cast<uint8_t>(p.code);
    d.bits = p.bits;
    d.lanes = 1;
    return d;
  }
  throw Error(ErrorCode::kUnsupported,
              std::string("output dtype ") + name_of(dtype) + " has no numpy equivalent here");
}

}  // namespace

Tensor view_of(const AnyArray& a, const std::string& name) {
  const DataType dtype = dtype_of(a.dtype());
  if (dtype == DataType::kUndefined) {
    throw Error(ErrorCode::kInvalidArgument,
                "input '" + name +
                    "': unsupported array dtype (float32, float16, int8, uint8, int32, int64)");
  }
  Dims dims;
  for (size_t i = 0; i < a.ndim(); ++i) dims.push_back(static_cast<int64_t>(a.shape(i)));
  return Tensor::view(dtype, dims, const_cast<void*>(a.data()));
}

nb::object to_numpy(Tensor&& t) {
  auto* owned = new Tensor(std::move(t));
  nb::capsule owner(owned, [](void* p) noexcept { delete static_cast<Tensor*>(p); });
  std::vector<size_t> shape(owned->dims().begin(), owned->dims().end());
  return nb::cast(nb::ndarray<nb::numpy>(owned->raw(), shape.size(), shape.data(), owner, nullptr,
                                         dlpack_of(owned->dtype())));
}

}  // namespace lowp::python

// NumPy .npy files (format versions 1.0, 2.0 and 3.0), little-endian, C order.
// Supported element types: '<f4' '<f2' '<i8' '<i4' '|i1' '|u1' '|b1', and '<f8' (NumPy's default
// float), read as float32.
#pragma once

#include <string>

#include "lowp/tensor.h"

namespace lowp::io {

// A dtype read_npy changed on the way in (float64 -> float32); empty `from` when none.
struct NpyConversion {
  std::string from, to;
};

// Reads a whole .npy file into an owning Tensor. float64 arrays are narrowed to float32 (reported
// through `conversion`); a finite float64 beyond float32's range is refused (kInvalidArgument).
// Throws lowp::Error naming `path` when the file is missing (kIo), malformed or truncated
// (kInvalidModel) or uses an unsupported dtype or Fortran order (kUnsupported).
Tensor read_npy(const std::string& path, NpyConversion* conversion = nullptr);

// Writes `tensor` as a version 1.0 .npy file (2.0 when the header needs it).
void write_npy(const std::string& path, const Tensor& tensor);

}  // namespace lowp::io

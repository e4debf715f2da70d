// NumPy .npy files (format versions 1.0, 2.0 and 3.0), little-endian, C order.
// Supported element types: '<f4' '<f2' '<i8' '<i4' '|i1' '|u1' '|b1'.
#pragma once

#include <string>

#include "lowp/tensor.h"

namespace lowp::io {

// Reads a whole .npy file into an owning Tensor. Throws lowp::Error naming `path` when the file is
// missing (kIo), malformed or truncated (kInvalidModel) or uses an unsupported dtype or Fortran
// order (kUnsupported).
Tensor read_npy(const std::string& path);

// Writes `tensor` as a version 1.0 .npy file (2.0 when the header needs it).
void write_npy(const std::string& path, const Tensor& tensor);

}  // namespace lowp::io

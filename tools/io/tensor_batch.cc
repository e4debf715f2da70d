#include "tools/io/tensor_batch.h"

#include <cstring>

namespace lowp::io {

Tensor stack_batch(const std::vector<Tensor>& parts) {
  Dims dims = parts.at(0).dims();
  dims[0] = 0;
  for (const Tensor& p : parts) dims[0] += p.dims()[0];
  Tensor out(parts[0].dtype(), dims);
  auto* dst = static_cast<char*>(out.raw());
  for (const Tensor& p : parts) {
    std::memcpy(dst, p.raw(), p.bytes());
    dst += p.bytes();
  }
  return out;
}

}  // namespace lowp::io

// A libFuzzer target: LOWP_FUZZ_TARGET names the entry point of fuzz_inputs.h it feeds. The ONNX
// target also mutates structurally (onnx_mutator.h) half the time, bytes the other half (the
// protobuf parser's own paths).
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_inputs.h"
#include "fuzz/onnx_mutator.h"

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const lowp::fuzz::Target* target = lowp::fuzz::find_target(LOWP_FUZZ_TARGET);
  target->run({data, size});
  return 0;
}

#ifdef LOWP_FUZZ_STRUCTURED_ONNX
extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned seed) {
  if (seed % 2 == 0) {
    if (size_t n = lowp::fuzz::mutate_onnx_model(data, size, max_size, seed)) return n;
  }
  return LLVMFuzzerMutate(data, size, max_size);
}
#endif

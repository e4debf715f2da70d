// Allocation failure as lowp::Error, the API's one exception type: the engine's entry points and
// the ONNX frontend's run their work through it, so std::bad_alloc never reaches a caller.
#pragma once

#include <new>
#include <string>

#include "lowp/error.h"

namespace lowp {

// Runs `fn`, turning std::bad_alloc into lowp::Error "out of memory while <what>".
template <typename Fn>
auto out_of_memory_as_error(const std::string& what, Fn&& fn) {
  try {
    return fn();
  } catch (const std::bad_alloc&) {
    throw Error(ErrorCode::kInternal, "out of memory while " + what);
  }
}

}  // namespace lowp

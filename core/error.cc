#include "lowp/error.h"

namespace lowp {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "invalid argument";
    case ErrorCode::kInvalidModel:
      return "invalid model";
    case ErrorCode::kUnsupported:
      return "unsupported";
    case ErrorCode::kIo:
      return "i/o error";
    case ErrorCode::kBackend:
      return "backend error";
    case ErrorCode::kInternal:
      return "internal error";
  }
  return "error";
}

void throw_error(ErrorCode code, const std::string& message) { throw Error(code, message); }

}  // namespace lowp

// lowp::Error — the one exception type the library throws.
// Every error carries a category and the context it happened in (file, node, op type, opset) so a
// message can always be traced back to the model element that caused it.
#pragma once

#include <stdexcept>
#include <string>

namespace lowp {

enum class ErrorCode {
  kInvalidArgument,  // bad caller input: wrong shape, dtype, missing buffer
  kInvalidModel,     // malformed, truncated or inconsistent model / plan file
  kUnsupported,      // operator, attribute or dtype the runtime does not implement
  kIo,               // file missing or unreadable
  kBackend,          // oneDNN / CUDA failure
  kInternal,         // a bug in lowp
};

const char* error_code_name(ErrorCode code);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

// Builds the message "<context>: <what>" and throws.
[[noreturn]] void throw_error(ErrorCode code, const std::string& message);

}  // namespace lowp

#include "tools/cli/model_util.h"

#include <string_view>

namespace lowp::cli {

std::shared_ptr<const Engine> load_model(const std::string& path, int threads) {
  if (std::string_view(path).ends_with(".plan")) {
    RuntimeOptions options;
    options.threads = threads;
    return Engine::load_plan(path, options);
  }
  CompileOptions options;
  options.threads = threads;
  return Engine::compile_onnx(path, options);
}

std::string format_dims(const Dims& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ", ";
    s += dims[i] < 0 ? std::string("N") : std::to_string(dims[i]);
  }
  return s + "]";
}

std::string format_shape(const Shape& shape) {
  if (!shape.has_rank()) return "[?]";
  std::string s = "[";
  for (size_t i = 0; i < shape.rank(); ++i) {
    if (i) s += ", ";
    const Dim& d = shape[i];
    s += d.known() ? std::to_string(d.size) : (d.symbol.empty() ? std::string("?") : d.symbol);
  }
  return s + "]";
}

double elapsed_ms(std::chrono::steady_clock::time_point start) {
  const auto elapsed = std::chrono::steady_clock::now() - start;
  return std::chrono::duration<double, std::milli>(elapsed).count();
}

}  // namespace lowp::cli

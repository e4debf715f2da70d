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

Bindings bind_and_allocate(const Engine& engine, const std::vector<Tensor>& inputs) {
  Bindings b;
  std::vector<Dims> input_dims;
  for (size_t i = 0; i < inputs.size(); ++i) {
    b.inputs.push_back({engine.inputs().at(i).name, inputs[i]});
    input_dims.push_back(inputs[i].dims());
  }
  const std::vector<Dims> output_dims = engine.output_dims(input_dims);
  for (size_t i = 0; i < output_dims.size(); ++i) {
    b.outputs.emplace_back(engine.outputs()[i].dtype, output_dims[i]);
    b.output_bindings.push_back({engine.outputs()[i].name, b.outputs.back()});
  }
  return b;
}

}  // namespace lowp::cli

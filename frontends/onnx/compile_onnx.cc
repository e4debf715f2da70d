// Engine::compile_onnx is declared with the Engine (lowp.h) and defined here, in the ONNX frontend,
// which sits above the engine layer: the engine compiles graphs and never includes a frontend.
#include "core/out_of_memory.h"
#include "frontends/onnx/onnx_importer.h"
#include "lowp/lowp.h"

namespace lowp {

std::shared_ptr<const Engine> Engine::compile_onnx(const std::string& onnx_path,
                                                   const CompileOptions& options) {
  auto graph = out_of_memory_as_error("importing " + onnx_path,
                                      [&] { return onnx_frontend::import_file(onnx_path); });
  return compile(std::move(graph), options);
}

}  // namespace lowp

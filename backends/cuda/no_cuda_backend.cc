// Stand-in for the CUDA backend in builds configured with LOWP_CUDA=OFF (or without a toolkit):
// the API reports that CUDA is unavailable instead of failing to link.
#include "lowp/backend.h"
#include "lowp/error.h"

namespace lowp {

bool has_cuda_backend() { return false; }

int cuda_device_count() { return 0; }

int current_cuda_device() { return -1; }

bool cuda_supports(const Node&) { return false; }

std::string cuda_unavailable_reason() {
  return "this build of lowp has no CUDA backend (configure with -DLOWP_CUDA=ON and a CUDA "
         "toolkit)";
}

std::unique_ptr<CompiledModel> compile_for_cuda(std::shared_ptr<const Graph> graph,
                                                const CompileOptions&, const TacticMap&) {
  throw_error(ErrorCode::kUnsupported,
              "cannot compile '" + graph->name + "' for CUDA: " + cuda_unavailable_reason());
}

}  // namespace lowp

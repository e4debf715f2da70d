#include "passes/pass_pipeline.h"

#include <algorithm>
#include <iostream>

#include "lowp/shape_propagation.h"
#include "passes/activation_fusion.h"
#include "passes/batch_norm_folding.h"
#include "passes/constant_folding.h"
#include "passes/conv_add_fusion.h"
#include "passes/dead_node_removal.h"
#include "passes/identity_removal.h"

namespace lowp {

void PassContext::note(const std::string& pass, const std::string& what) {
  log.push_back(pass + ": " + what);
  if (verbose) std::cerr << "[lowp] " << log.back() << "\n";
}

std::vector<std::unique_ptr<Pass>> make_pipeline(const CompileOptions& options) {
  std::vector<std::unique_ptr<Pass>> all;
  // Clean-up first so the fusions see the real producer/consumer pairs.
  all.push_back(std::make_unique<IdentityRemovalPass>());
  all.push_back(std::make_unique<ConstantFoldingPass>());
  all.push_back(std::make_unique<DeadNodeRemovalPass>());
  // BatchNorm must fold before any fusion attaches an activation or residual to the Conv.
  all.push_back(std::make_unique<BatchNormFoldingPass>());
  // Residual sum before activation: Conv + Add + Relu becomes one Conv (sum then eltwise).
  all.push_back(std::make_unique<ConvAddFusionPass>());
  all.push_back(std::make_unique<ActivationFusionPass>());
  all.push_back(std::make_unique<DeadNodeRemovalPass>());
  std::erase_if(all, [&](const auto& p) {
    const auto& off = options.disabled_passes;
    return std::find(off.begin(), off.end(), p->name()) != off.end();
  });
  return all;
}

void run_pipeline(Graph& graph, const CompileOptions& options, PassContext& ctx) {
  for (const auto& pass : make_pipeline(options)) {
    if (pass->run(graph, ctx)) {
      graph.topological_sort();
      propagate_shapes(graph);
    }
  }
}

}  // namespace lowp

#include "engine/pass_pipeline.h"

#include <algorithm>
#include <cmath>
#include <iostream>

#include "engine/int8_precision.h"
#include "lowp/backend.h"
#include "lowp/graph_verifier.h"
#include "lowp/shape_propagation.h"
#include "passes/activation_fusion.h"
#include "passes/batch_norm_folding.h"
#include "passes/calibration.h"
#include "passes/constant_folding.h"
#include "passes/conv_add_fusion.h"
#include "passes/dead_node_removal.h"
#include "passes/einsum_decomposition.h"
#include "passes/fp16_casting.h"
#include "passes/gelu_fusion.h"
#include "passes/identity_removal.h"
#include "passes/layer_norm_fusion.h"
#include "passes/matmul_add_fusion.h"
#include "passes/pad_conv_fusion.h"
#include "passes/qdq_folding.h"
#include "reference/reference_executor.h"

namespace lowp {

void PassContext::note(const std::string& pass, const std::string& what) {
  log.push_back(pass + ": " + what);
  if (verbose) std::cerr << "[lowp] " << log.back() << "\n";
}

std::vector<std::unique_ptr<Pass>> make_pipeline(const CompileOptions& options) {
  std::vector<std::unique_ptr<Pass>> all;
  // Clean-up first so the fusions see the real producer/consumer pairs.
  all.push_back(std::make_unique<IdentityRemovalPass>());
  all.push_back(std::make_unique<ConstantFoldingPass>(options.folding));
  all.push_back(std::make_unique<DeadNodeRemovalPass>());
  // Pre-quantized (QDQ) models: Q/DQ pairs become QuantParams on values before the fusions, which
  // Q/DQ nodes would otherwise block. Nothing to do for float models.
  all.push_back(std::make_unique<QdqFoldingPass>());
  // BatchNorm must fold before any fusion attaches an activation or residual to the Conv.
  all.push_back(std::make_unique<BatchNormFoldingPass>());
  // Zero Pads (TensorFlow's "same" padding) become the Conv's own pads.
  all.push_back(std::make_unique<PadConvFusionPass>());
  // Einsum becomes Transpose / MatMul, which the backends lower and the fusions below see.
  all.push_back(std::make_unique<EinsumDecompositionPass>());
  // Decomposed layer normalisation and GELU (opset < 17 / 20 exports) become one op each.
  all.push_back(std::make_unique<LayerNormFusionPass>());
  all.push_back(std::make_unique<GeluFusionPass>());
  // MatMul + bias becomes Gemm before activation fusion, which then attaches the activation.
  all.push_back(std::make_unique<MatMulAddFusionPass>());
  // Residual sum before activation: Conv + Add + Relu becomes one Conv (sum then eltwise).
  all.push_back(std::make_unique<ConvAddFusionPass>());
  all.push_back(std::make_unique<ActivationFusionPass>());
  // Again: QDQ patterns around a residual (DQ -> Conv -> Add -> Relu -> Q) only match once the
  // Add and Relu are fused into the Conv.
  all.push_back(std::make_unique<QdqFoldingPass>());
  all.push_back(std::make_unique<DeadNodeRemovalPass>());
  std::erase_if(all, [&](const auto& p) { return !pass_enabled(options, p->name()); });
  return all;
}

bool pass_enabled(const CompileOptions& options, const std::string& pass) {
  const auto& off = options.disabled_passes;
  return std::find(off.begin(), off.end(), pass) == off.end();
}

bool run_one_pass(const Pass& pass, Graph& graph, PassContext& ctx) {
  const bool changed = pass.run(graph, ctx);
  if (changed) {
    graph.topological_sort();
    propagate_shapes(graph, reference::run_node);
  }
  if (ctx.verify) verify_graph(graph, std::string("after pass '") + pass.name() + "'");
  if (ctx.after_pass) ctx.after_pass(pass.name(), graph);
  return changed;
}

namespace {

class CpuRunner : public GraphRunner {
 public:
  explicit CpuRunner(std::shared_ptr<Graph> graph)
      : compiled_(compile_for_cpu(std::move(graph), CompileOptions{})),
        context_(compiled_->create_context()) {}
  void run(const std::vector<const Tensor*>& inputs, const std::vector<Tensor*>& outputs) override {
    compiled_->run(*context_, inputs, outputs);
  }

 private:
  std::unique_ptr<CompiledModel> compiled_;
  std::unique_ptr<ExecutionContext> context_;
};

}  // namespace

GraphRunnerFactory fp32_cpu_runner() {
  return [](std::shared_ptr<Graph> graph) { return std::make_unique<CpuRunner>(std::move(graph)); };
}

void run_pipeline(Graph& graph, const CompileOptions& options, PassContext& ctx) {
  propagate_shapes(graph, reference::run_node);  // shape subgraphs evaluated at probe sizes
  for (const auto& pass : make_pipeline(options)) run_one_pass(*pass, graph, ctx);
}

// Precision comes last: the fusions only match fp32 nodes, and the casting / quantization
// decides per fused node. Ranges are measured on the optimised fp32 graph.
void apply_precision(Graph& graph, const CompileOptions& options, PassContext& ctx) {
  const Precision p = options.precision;
  if (p == Precision::kFp16 || p == Precision::kBf16) {
    std::map<std::string, float> max_abs;
    // fp16 measures max |x| on data; an int8 calibration cache holds clipped ranges, so a cache
    // alone (no source) is no help here.
    if (p == Precision::kFp16 && !options.calibration.source) {
      ctx.note("fp16-casting",
               "no calibration data: activations are not checked against fp16's range (65504); "
               "give calibration data (lowp: --calib PATH) to keep layers that exceed it in fp32");
    }
    if (p == Precision::kFp16 && options.calibration.source) {
      CalibrationOptions minmax = options.calibration;
      minmax.calibrator = Calibrator::kMinMax;
      minmax.cache_path.clear();  // an int8 cache holds clipped ranges: measure afresh
      for (const auto& [name, r] :
           calibrate(graph, minmax, {}, options.verbose, fp32_cpu_runner())) {
        max_abs[name] = std::max(std::fabs(r.min), std::fabs(r.max));
      }
    }
    run_one_pass(Fp16CastingPass(Fp16CastingOptions::from(options, std::move(max_abs))), graph,
                 ctx);
  } else if (p == Precision::kInt8) {
    quantize_int8(graph, options, ctx);
  }
}

}  // namespace lowp

// The optimisation pipeline for a compile: which passes run, in which order (pass_pipeline.cc
// explains why), with passes switchable off by name.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lowp/options.h"
#include "passes/calibration.h"
#include "passes/pass.h"

namespace lowp {

std::vector<std::unique_ptr<Pass>> make_pipeline(const CompileOptions& options);
// Whether CompileOptions::disabled_passes leaves the pass of this name on.
bool pass_enabled(const CompileOptions& options, const std::string& pass);
// Runs one pass as the pipeline does: when it changed the graph, re-sorts it and re-propagates
// shapes; then verifies it (ctx.verify) and calls ctx.after_pass. Returns whether it changed.
bool run_one_pass(const Pass& pass, Graph& graph, PassContext& ctx);
// Runs the fp32 optimisation pipeline; the graph's shapes are re-propagated after every pass
// that changed it.
void run_pipeline(Graph& graph, const CompileOptions& options, PassContext& ctx);

// Runs a graph in fp32 on the CPU backend: how the engine has calibration observe activations.
GraphRunnerFactory fp32_cpu_runner();

// Then the precision stage: fp16 / bf16 casting (with measured ranges when calibration data is
// given) or calibration + int8 quantization. Runs on the optimised graph, once per compile.
void apply_precision(Graph& graph, const CompileOptions& options, PassContext& ctx);

}  // namespace lowp

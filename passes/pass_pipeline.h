// The optimisation pipeline for a compile: which passes run, in which order (pass_pipeline.cc
// explains why), with passes switchable off by name.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lowp/lowp.h"
#include "passes/pass.h"

namespace lowp {

std::vector<std::unique_ptr<Pass>> make_pipeline(const CompileOptions& options);
// Runs the pipeline; the graph's shapes are re-propagated after every pass that changed it.
void run_pipeline(Graph& graph, const CompileOptions& options, PassContext& ctx);

}  // namespace lowp

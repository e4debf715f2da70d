// The int8 precision stage of a compile: calibrate the optimised fp32 graph, quantize it, then
// refine the int8 graph on the same calibration images (bias correction). Each refinement is a
// Pass that CompileOptions::disabled_passes switches off by name.
#pragma once

#include "lowp/graph.h"
#include "lowp/options.h"
#include "passes/pass.h"

namespace lowp {

void quantize_int8(Graph& graph, const CompileOptions& options, PassContext& ctx);

}  // namespace lowp

// fp16 plans on a CPU without fp16 arithmetic: the graph the CPU backend executes instead of an
// f16-marked one. f16 weights are widened to f32 once (here, at load), f16 activations become f32
// (the Casts that made them turn into Identity, which the backend aliases), and f16 graph inputs
// and outputs keep their dtype, converted by Cast nodes at the edges, so callers pass and receive
// f16 data as is.
#pragma once

#include <memory>

#include "lowp/graph.h"

namespace lowp::cpu {

// `graph` itself when it holds no f16 value, else the f32 execution graph described above.
std::shared_ptr<const Graph> emulate_fp16(std::shared_ptr<const Graph> graph);

}  // namespace lowp::cpu

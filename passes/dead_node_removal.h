// Removes nodes none of whose outputs is consumed or exposed as a graph output.
#pragma once

#include "passes/pass.h"

namespace lowp {

class DeadNodeRemovalPass : public Pass {
 public:
  const char* name() const override { return "dead-node-removal"; }
  bool run(Graph& graph, PassContext& ctx) const override;
};

}  // namespace lowp

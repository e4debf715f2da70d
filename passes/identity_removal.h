// Removes Identity and (inference) Dropout nodes by pointing their consumers at their input.
// A node whose output is a graph output stays, so output names never change.
#pragma once

#include "passes/pass.h"

namespace lowp {

class IdentityRemovalPass : public Pass {
 public:
  const char* name() const override { return "identity-removal"; }
  bool run(Graph& graph, PassContext& ctx) const override;
};

}  // namespace lowp

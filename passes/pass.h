// The pass interface: every graph rewrite is a Pass with a name and run(graph, ctx) -> changed.
// "Not applicable" is success (returns false), never an error. Passes never know a backend.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lowp/graph.h"

namespace lowp {

struct PassContext {
  bool verbose = false;          // log each change to stderr
  bool verify = false;           // verify_graph after every pass (lowp/graph_verifier.h)
  std::vector<std::string> log;  // one line per change, kept for callers and tests
  // Called after every pass (changed or not) with its name and the graph.
  std::function<void(const std::string& pass, const Graph& graph)> after_pass;
  // Whether the target backend runs `node` in the form a pass is about to give it (a fused
  // activation...). Handed in by the engine, so passes ask without knowing the backend; empty:
  // every form the op schemas allow.
  std::function<bool(const Node& node)> backend_supports;
  void note(const std::string& pass, const std::string& what);
};

class Pass {
 public:
  virtual ~Pass() = default;
  virtual const char* name() const = 0;
  // Returns true when the graph changed.
  virtual bool run(Graph& graph, PassContext& ctx) const = 0;
};

}  // namespace lowp

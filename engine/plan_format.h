// The plan file: a versioned, checksummed serialisation of an optimised graph, its weights and the
// compile options it was built with.
//
//   offset 0   "LOWPPLAN"        8-byte magic
//          8   u32 version       kPlanVersion; another version is refused
//         12   u32 header size   64
//         16   u64 payload size
//         24   u64 checksum      XXH3-64 of the payload
//         32   ...               zero padding to 64
//         64   payload           options, values (constants' bytes 64-byte aligned), nodes, io,
//                                (version 2) backend tactics: count, then (key, value) strings,
//                                (version 4) preprocessing: to_string's line, "" for none
//   each node: name, op type, inputs, outputs, attributes, (version 3) fused activation: u8 kind,
//              f32 slope, lo, hi, alpha, beta
//
// Version 1 (no tactics), 2 and 3 plans still load; versions 1-2 spelled fused activations as
// attributes.
// Loading reads the file into one 64-byte aligned buffer and constants view it in place.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "lowp/graph.h"
#include "lowp/lowp.h"

namespace lowp {

inline constexpr uint32_t kPlanVersion = 4;
inline constexpr uint64_t kMaxTactics = uint64_t{1} << 20;

// Algorithm choices a backend measured (TacticMap in backend.h), stored so a loaded plan does not
// time them again.
// `version`: kPlanVersion, or 2 or 3 to test that this lowp still loads what its predecessors
// wrote.
void write_plan(const std::string& path, const Graph& graph, const CompileOptions& options,
                const std::map<std::string, std::string>& tactics = {},
                uint32_t version = kPlanVersion);

struct LoadedPlan {
  std::shared_ptr<Graph> graph;
  CompileOptions options;
  std::map<std::string, std::string> tactics;
};
LoadedPlan read_plan(const std::string& path);

}  // namespace lowp

// Fuzzed bytes as a file: lowp's readers take paths (as its users do), so each input is written
// to a private folder of this process (under $TMPDIR, removed at exit) before it is read.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace lowp::fuzz {

// Writes `bytes` to <this process's scratch folder>/<name> and returns the path.
std::string scratch_file(const std::string& name, std::span<const uint8_t> bytes);

}  // namespace lowp::fuzz

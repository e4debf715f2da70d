// The fuzzed entry points, one per kind of file lowp reads. Each takes a byte string as a file's
// contents, hands it to lowp's reader as a file, and goes as far as the bytes allow (import,
// compile, run; load, run; decode, preprocess). It returns normally whenever lowp refuses the bytes
// with a lowp::Error: that is the promised behaviour. Anything else (a crash, a sanitizer report,
// another exception escaping, a hang, a huge allocation) is a bug. Readers return kAccepted when
// the bytes were read; models and plans kRan when they also ran.
//
// Used by the libFuzzer targets (fuzz/libfuzzer_main.cc, built by scripts/fuzz.sh with clang) and
// by tests/fuzz_regression_test.cc, which replays every file under fuzz/regressions/ in the
// ordinary test run.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace lowp::fuzz {

using Bytes = std::span<const uint8_t>;

// How far an input went (the fuzz tests check that mutated inputs still reach the deep paths).
enum class Outcome { kRefused, kAccepted, kRan };

// An ONNX model: imported and compiled for the CPU at a precision chosen from the bytes (fp32,
// bf16, or int8 calibrated on one generated batch), then run once on generated inputs when every
// shape is static and the run is small (see kMaxRunBytes / kMaxRunWork).
Outcome onnx_model(Bytes bytes);
// A plan file. A fuzzer's mutations would almost never keep the checksum right, so the header's
// payload size and checksum are recomputed first: the fuzzer explores the payload, which is what
// a hostile plan controls. Loaded, then run as above.
Outcome plan(Bytes bytes);
Outcome npy(Bytes bytes);                // read_npy
Outcome idx(Bytes bytes);                // read_idx_images and read_idx_labels
Outcome image(Bytes bytes);              // decode + both preprocessing pipelines
Outcome calibration_cache(Bytes bytes);  // read_calibration_cache

// Limits on what a fuzzed model may make one run cost: models past them are compiled, not run.
inline constexpr double kMaxRunBytes = 16.0 * (1 << 20);  // all values of the graph together
inline constexpr double kMaxRunWork = 2e8;                // OpSchema work estimates, summed

struct Target {
  std::string_view name;  // the folder name under fuzz/regressions/ and fuzz/seeds/
  Outcome (*run)(Bytes);
};
std::span<const Target> targets();
const Target* find_target(std::string_view name);

}  // namespace lowp::fuzz

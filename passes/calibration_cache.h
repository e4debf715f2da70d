// The calibration cache: measured activation ranges saved as readable JSON so int8 engines can be
// rebuilt without the calibration data.
//   {"calibrator": "entropy", "percentile": 99.99, "images": 512, "symmetric": false,
//    "tensors": {"conv1_out": {"min": 0.0, "max": 5.1, "scale": 0.02, "zero_point": 0}, ...}}
// Floats are written with enough digits to read back bit-exactly.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "passes/quant_params.h"

namespace lowp {

struct CalibrationCacheMeta {
  std::string calibrator;  // calibrator_name()
  double percentile = 0.0;
  int64_t images = 0;
  bool symmetric = false;
};

struct CalibrationCache {
  CalibrationCacheMeta meta;
  std::map<std::string, TensorRange> ranges;
};

// Writes atomically (a temporary file renamed over `path`). Errors (kIo) name the path.
void write_calibration_cache(const std::string& path,
                             const std::map<std::string, TensorRange>& ranges,
                             const CalibrationCacheMeta& meta);
// Missing file: kIo; malformed JSON or a wrong / missing field: kInvalidModel naming the path and
// the tensor.
CalibrationCache read_calibration_cache(const std::string& path);

}  // namespace lowp

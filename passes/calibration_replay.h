// Calibration data read more than once. Ranges come from one pass over the source; the int8
// refinements after it (bias correction, the choice of range per tensor) run the graphs on the
// same images again. CalibrationSource has no rewind (a source may stream from anywhere), so the
// first pass records the batches it forwards, up to a byte budget, and the later passes replay
// them: with more data than the budget, they see its first part only (and say so).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "passes/calibration.h"

namespace lowp {

using CalibrationBatches = std::vector<std::vector<Tensor>>;

// Forwards `inner`'s batches and keeps a deep copy of each while the copies stay within
// max_bytes.
class RecordingCalibrationSource : public SizedCalibrationSource {
 public:
  RecordingCalibrationSource(CalibrationSource& inner, size_t max_bytes);
  bool next(std::vector<Tensor>& inputs) override;
  std::string describe() const override { return inner_.describe(); }
  int64_t total_images() const override;  // the inner source's, or -1 when it does not know

  const CalibrationBatches& batches() const { return batches_; }
  bool complete() const { return !dropped_; }  // every batch forwarded was kept
  int64_t images() const;                      // in the kept batches

 private:
  CalibrationSource& inner_;
  size_t max_bytes_;
  size_t bytes_ = 0;
  bool dropped_ = false;
  CalibrationBatches batches_;
};

// The first `images` images of `batches` (views into `batches`, which must outlive them; the last
// batch cut where needed).
CalibrationBatches first_images(const CalibrationBatches& batches, int64_t images);

// Gives `batches` (not owned; must outlive the source) in order, once.
class ReplayCalibrationSource : public SizedCalibrationSource {
 public:
  ReplayCalibrationSource(const CalibrationBatches& batches, std::string description);
  bool next(std::vector<Tensor>& inputs) override;
  std::string describe() const override { return description_; }
  int64_t total_images() const override;

 private:
  const CalibrationBatches& batches_;
  std::string description_;
  size_t position_ = 0;
};

}  // namespace lowp

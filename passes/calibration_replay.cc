#include "passes/calibration_replay.h"

#include <algorithm>

namespace lowp {
namespace {

int64_t count_images(const CalibrationBatches& batches) {
  int64_t n = 0;
  for (const auto& batch : batches) n += batch_images(batch);
  return n;
}

}  // namespace

RecordingCalibrationSource::RecordingCalibrationSource(CalibrationSource& inner, size_t max_bytes)
    : inner_(inner), max_bytes_(max_bytes) {}

bool RecordingCalibrationSource::next(std::vector<Tensor>& inputs) {
  if (!inner_.next(inputs)) return false;
  size_t bytes = 0;
  for (const Tensor& t : inputs) bytes += t.bytes();
  if (dropped_ || bytes_ + bytes > max_bytes_) {
    dropped_ = true;  // keep a prefix: later passes replay the first images only
    return true;
  }
  bytes_ += bytes;
  std::vector<Tensor> copy;
  for (const Tensor& t : inputs) copy.push_back(t.clone());
  batches_.push_back(std::move(copy));
  return true;
}

int64_t RecordingCalibrationSource::total_images() const {
  const auto* sized = dynamic_cast<const SizedCalibrationSource*>(&inner_);
  return sized ? sized->total_images() : -1;
}

CalibrationBatches first_images(const CalibrationBatches& batches, int64_t images) {
  CalibrationBatches out;
  int64_t taken = 0;
  for (const auto& batch : batches) {
    if (taken >= images) break;
    const int64_t n = batch_images(batch);
    const bool shared_batch_dim = std::all_of(batch.begin(), batch.end(), [&](const Tensor& t) {
      return t.rank() > 0 && t.dims()[0] == n;
    });
    if (taken + n <= images || !shared_batch_dim) {
      out.push_back(batch);
      taken += n;
      continue;
    }
    std::vector<Tensor> part;
    for (const Tensor& t : batch) {
      Dims dims = t.dims();
      dims[0] = images - taken;
      part.push_back(Tensor::view(t.dtype(), dims, const_cast<void*>(t.raw())));
    }
    out.push_back(std::move(part));
    taken = images;
  }
  return out;
}

int64_t RecordingCalibrationSource::images() const { return count_images(batches_); }

ReplayCalibrationSource::ReplayCalibrationSource(const CalibrationBatches& batches,
                                                 std::string description)
    : batches_(batches), description_(std::move(description)) {}

bool ReplayCalibrationSource::next(std::vector<Tensor>& inputs) {
  if (position_ >= batches_.size()) return false;
  inputs = batches_[position_++];  // views sharing the recorded storage
  return true;
}

int64_t ReplayCalibrationSource::total_images() const { return count_images(batches_); }

}  // namespace lowp

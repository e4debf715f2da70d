// A one-line progress bar on stderr ("calibrating [#####     ] 256/512 images"), drawn only when
// enabled and stderr is a terminal, so logs and pipes never see carriage returns.
#pragma once

#include <cstdint>
#include <string>

namespace lowp {

class ProgressBar {
 public:
  // total < 0: unknown, shown as a plain counter.
  ProgressBar(std::string label, int64_t total, std::string unit, bool enabled);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  void update(int64_t done);
  void finish();  // ends the line (also done by the destructor)

 private:
  std::string label_;
  int64_t total_;
  std::string unit_;
  bool active_;
  bool drawn_ = false;
};

}  // namespace lowp

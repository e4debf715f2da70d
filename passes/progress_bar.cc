#include "passes/progress_bar.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace lowp {

ProgressBar::ProgressBar(std::string label, int64_t total, std::string unit, bool enabled)
    : label_(std::move(label)),
      total_(total),
      unit_(std::move(unit)),
      active_(enabled && isatty(STDERR_FILENO) == 1) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(int64_t done) {
  if (!active_) return;
  std::string line("\r");
  line.append(label_).append(" ");
  if (total_ > 0) {
    constexpr int kWidth = 30;
    const int64_t filled = std::clamp<int64_t>(done * kWidth / total_, 0, kWidth);
    line.append("[")
        .append(static_cast<size_t>(filled), '#')
        .append(static_cast<size_t>(kWidth - filled), ' ')
        .append("] ")
        .append(std::to_string(done))
        .append("/")
        .append(std::to_string(total_));
  } else {
    line.append(std::to_string(done));
  }
  line.append(" ").append(unit_);
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::finish() {
  if (active_ && drawn_) std::fputc('\n', stderr);
  drawn_ = false;
  active_ = false;
}

}  // namespace lowp

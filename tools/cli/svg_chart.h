// Charts drawn as inline SVG for `lowp compare --report`: no script, no external resource.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lowp::cli {

// Text safe inside HTML / SVG elements and attribute values.
std::string html_escape(const std::string& text);

// Vertical bars of `counts` over equal bins spanning [lo, hi], the x axis labelled `x_label`.
std::string svg_histogram(const std::vector<int64_t>& counts, double lo, double hi,
                          const std::string& x_label);

struct Bar {
  std::string label;
  double value = 0.0;
};
// One horizontal bar per row on a shared scale from 0 to the largest value, `unit` after each
// value.
std::string svg_bars(const std::vector<Bar>& bars, const std::string& unit,
                     const char* format = "%.1f");

}  // namespace lowp::cli

// Shape: the static description of a value's dimensions. A dimension is either a known size or a
// symbol (e.g. the batch "N"), so a graph compiled once runs for any batch size.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lowp/tensor.h"

namespace lowp {

struct Dim {
  int64_t size = -1;   // >= 0 when known
  std::string symbol;  // set when size < 0 ("N"; empty when completely unknown)
  bool known() const { return size >= 0; }
  bool operator==(const Dim&) const = default;
};

class Shape {
 public:
  Shape() = default;
  explicit Shape(std::vector<Dim> dims) : dims_(std::move(dims)), has_rank_(true) {}
  static Shape from_dims(const Dims& dims);
  static Shape unknown_rank() { return Shape(); }

  bool has_rank() const { return has_rank_; }
  size_t rank() const { return dims_.size(); }
  const Dim& operator[](size_t i) const { return dims_[i]; }
  const std::vector<Dim>& dims() const { return dims_; }
  bool is_static() const;
  // Concrete dims; symbols resolved to `batch` when the symbol is the first dimension's.
  std::optional<Dims> concrete() const;
  std::string to_string() const;
  bool operator==(const Shape&) const = default;

 private:
  std::vector<Dim> dims_;
  bool has_rank_ = false;
};

}  // namespace lowp

#include "lowp/shape.h"

#include <sstream>

namespace lowp {

Shape Shape::from_dims(const Dims& dims) {
  std::vector<Dim> out;
  out.reserve(dims.size());
  for (int64_t d : dims) out.push_back(Dim{d, {}});
  return Shape(std::move(out));
}

bool Shape::is_static() const {
  if (!has_rank_) return false;
  for (const auto& d : dims_) {
    if (!d.known()) return false;
  }
  return true;
}

std::optional<Dims> Shape::concrete() const {
  if (!is_static()) return std::nullopt;
  Dims out;
  for (const auto& d : dims_) out.push_back(d.size);
  return out;
}

std::string Shape::to_string() const {
  if (!has_rank_) return "[?]";
  std::ostringstream os;
  os << '[';
  for (size_t i = 0; i < dims_.size(); ++i) {
    if (i) os << 'x';
    if (dims_[i].known()) {
      os << dims_[i].size;
    } else {
      os << (dims_[i].symbol.empty() ? "?" : dims_[i].symbol);
    }
  }
  os << ']';
  return os.str();
}

}  // namespace lowp

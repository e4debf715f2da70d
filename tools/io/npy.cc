#include "tools/io/npy.h"

#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

#include "lowp/error.h"

namespace lowp::io {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

[[noreturn]] void fail(ErrorCode code, const std::string& path, const std::string& what) {
  throw_error(code, path + ": " + what);
}

struct DescrEntry {
  const char* descr;
  DataType dtype;
};

// The accepted dtype strings. One-byte types have no byte order; NumPy writes them with '|'.
constexpr DescrEntry kDescrs[] = {
    {"<f4", DataType::kF32},  {"<f2", DataType::kF16}, {"<i8", DataType::kS64},
    {"<i4", DataType::kS32},  {"|i1", DataType::kS8},  {"|u1", DataType::kU8},
    {"|b1", DataType::kBool},
};

// float64 (NumPy's default) has no lowp dtype: read_npy narrows it to float32.
constexpr char kF64Descr[] = "<f8";

DataType dtype_from_descr(const std::string& path, const std::string& descr) {
  for (const auto& e : kDescrs) {
    if (descr == e.descr) return e.dtype;
  }
  if (descr == kF64Descr) return DataType::kF32;
  fail(ErrorCode::kUnsupported, path,
       "unsupported npy dtype '" + descr +
           "' (supported: <f4 <f8 <f2 <i8 <i4 |i1 |u1 |b1, little-endian)");
}

// float64 values narrowed to float32; a finite value beyond float32's range has no float32
// meaning and is refused (NaN and infinities carry over).
void narrow_f64(const std::string& path, const unsigned char* src, size_t count, float* dst) {
  for (size_t i = 0; i < count; ++i) {
    double v;
    std::memcpy(&v, src + i * sizeof(double), sizeof(double));
    if (std::isfinite(v) && std::fabs(v) > std::numeric_limits<float>::max()) {
      fail(ErrorCode::kInvalidArgument, path,
           "float64 element " + std::to_string(i) + " (" + std::to_string(v) +
               ") is beyond float32's range");
    }
    dst[i] = static_cast<float>(v);
  }
}

const char* descr_from_dtype(const std::string& path, DataType dtype) {
  for (const auto& e : kDescrs) {
    if (dtype == e.dtype) return e.descr;
  }
  fail(ErrorCode::kUnsupported, path,
       std::string("cannot write dtype ") + name_of(dtype) + " to npy");
}

// Parses the header dictionary, a Python literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (16, 3, 64, 64), }
// Only the three keys NumPy writes are accepted, each exactly once.
class HeaderParser {
 public:
  HeaderParser(const std::string& path, std::string_view text) : path_(path), text_(text) {}

  void parse(std::string* descr, bool* fortran_order, Dims* shape) {
    bool have_descr = false, have_order = false, have_shape = false;
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') {
        ++pos_;
        break;
      }
      std::string key = parse_string();
      expect(':');
      if (key == "descr" && !have_descr) {
        *descr = parse_string();
        have_descr = true;
      } else if (key == "fortran_order" && !have_order) {
        *fortran_order = parse_bool();
        have_order = true;
      } else if (key == "shape" && !have_shape) {
        *shape = parse_shape();
        have_shape = true;
      } else {
        error("unexpected or repeated key '" + key + "'");
      }
      skip_space();
      if (peek() == ',') {
        ++pos_;
      } else if (peek() != '}') {
        error("expected ',' or '}'");
      }
    }
    skip_space();
    if (pos_ != text_.size()) error("trailing characters after the dictionary");
    if (!have_descr || !have_order || !have_shape) {
      error("missing key (need 'descr', 'fortran_order' and 'shape')");
    }
  }

 private:
  [[noreturn]] void error(const std::string& what) const {
    fail(ErrorCode::kInvalidModel, path_,
         "malformed npy header at offset " + std::to_string(pos_) + ": " + what);
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
  }
  void expect(char c) {
    skip_space();
    if (peek() != c) error(std::string("expected '") + c + "'");
    ++pos_;
  }
  std::string parse_string() {
    skip_space();
    char quote = peek();
    if (quote != '\'' && quote != '"') error("expected a quoted string");
    size_t end = text_.find(quote, pos_ + 1);
    if (end == std::string_view::npos) error("unterminated string");
    std::string s(text_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return s;
  }
  bool parse_bool() {
    skip_space();
    if (text_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (text_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    error("expected True or False");
  }
  int64_t parse_int() {
    skip_space();
    if (!std::isdigit(static_cast<unsigned char>(peek()))) error("expected a dimension");
    int64_t v = 0;
    while (std::isdigit(static_cast<unsigned char>(peek()))) {
      int digit = peek() - '0';
      if (v > (std::numeric_limits<int64_t>::max() - digit) / 10) error("dimension too large");
      v = v * 10 + digit;
      ++pos_;
    }
    // NumPy on some platforms wrote "3L" for Python 2 longs.
    if (peek() == 'L') ++pos_;
    return v;
  }
  Dims parse_shape() {
    expect('(');
    Dims dims;
    skip_space();
    if (peek() == ')') {
      ++pos_;
      return dims;
    }
    while (true) {
      dims.push_back(parse_int());
      skip_space();
      if (peek() == ',') {
        ++pos_;
        skip_space();
        if (peek() == ')') {
          ++pos_;
          break;
        }
      } else if (peek() == ')') {
        ++pos_;
        if (dims.size() == 1) error("a one-dimensional shape needs a trailing comma");
        break;
      } else {
        error("expected ',' or ')' in shape");
      }
    }
    return dims;
  }

  const std::string& path_;
  std::string_view text_;
  size_t pos_ = 0;
};

uint32_t read_le(const unsigned char* p, size_t n) {
  uint32_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= static_cast<uint32_t>(p[i]) << (8 * i);
  return v;
}

}  // namespace

Tensor read_npy(const std::string& path, NpyConversion* conversion) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorCode::kIo, path, "cannot open npy file");
  std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
  if (in.bad()) fail(ErrorCode::kIo, path, "error reading npy file");

  if (bytes.size() < kMagicSize + 2 || std::memcmp(bytes.data(), kMagic, kMagicSize) != 0) {
    fail(ErrorCode::kInvalidModel, path, "not an npy file (bad magic)");
  }
  const int major = bytes[6];
  const int minor = bytes[7];
  if (major < 1 || major > 3 || minor != 0) {
    fail(ErrorCode::kUnsupported, path,
         "unsupported npy format version " + std::to_string(major) + "." + std::to_string(minor));
  }
  const size_t len_size = major == 1 ? 2 : 4;
  const size_t prefix = kMagicSize + 2 + len_size;
  if (bytes.size() < prefix) fail(ErrorCode::kInvalidModel, path, "truncated npy header");
  const size_t header_len = read_le(bytes.data() + kMagicSize + 2, len_size);
  if (bytes.size() - prefix < header_len) {
    fail(ErrorCode::kInvalidModel, path,
         "truncated npy header (needs " + std::to_string(header_len) + " bytes, file has " +
             std::to_string(bytes.size() - prefix) + ")");
  }
  std::string_view header(reinterpret_cast<const char*>(bytes.data() + prefix), header_len);
  if (header.empty() || header.back() != '\n') {
    fail(ErrorCode::kInvalidModel, path, "malformed npy header: does not end with a newline");
  }
  header.remove_suffix(1);

  std::string descr;
  bool fortran_order = false;
  Dims dims;
  HeaderParser(path, header).parse(&descr, &fortran_order, &dims);
  const DataType dtype = dtype_from_descr(path, descr);
  if (fortran_order) {
    fail(ErrorCode::kUnsupported, path, "Fortran-order npy arrays are not supported");
  }

  const size_t data_offset = prefix + header_len;
  const size_t available = bytes.size() - data_offset;
  const bool f64 = descr == kF64Descr;
  const size_t elem = f64 ? sizeof(double) : size_of(dtype);
  size_t count = 1;
  for (int64_t d : dims) {
    const size_t n = static_cast<size_t>(d);
    if (n != 0 && count > std::numeric_limits<size_t>::max() / elem / n) {
      fail(ErrorCode::kInvalidModel, path, "npy shape " + dims_to_string(dims) + " is too large");
    }
    count *= n;
  }
  const size_t needed = count * elem;
  if (available < needed) {
    fail(ErrorCode::kInvalidModel, path,
         "npy file is truncated: shape " + dims_to_string(dims) + " of " + descr + " needs " +
             std::to_string(needed) + " data bytes, file has " + std::to_string(available));
  }
  if (available > needed) {
    fail(ErrorCode::kInvalidModel, path,
         "npy file has " + std::to_string(available - needed) + " unexpected trailing bytes");
  }

  Tensor tensor(dtype, dims);
  if (f64) {
    narrow_f64(path, bytes.data() + data_offset, count, tensor.data<float>());
    if (conversion) *conversion = {"float64", "float32"};
  } else if (needed) {
    std::memcpy(tensor.raw(), bytes.data() + data_offset, needed);
  }
  if (dtype == DataType::kBool) {
    const uint8_t* b = tensor.data<uint8_t>();
    for (size_t i = 0; i < count; ++i) {
      if (b[i] > 1) fail(ErrorCode::kInvalidModel, path, "npy bool array holds a value not 0/1");
    }
  }
  return tensor;
}

void write_npy(const std::string& path, const Tensor& tensor) {
  const char* descr = descr_from_dtype(path, tensor.dtype());
  if (tensor.empty()) fail(ErrorCode::kInvalidArgument, path, "cannot write a tensor without data");

  std::string dict = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < tensor.dims().size(); ++i) {
    dict += std::to_string(tensor.dims()[i]);
    if (i + 1 < tensor.dims().size() || tensor.dims().size() == 1) dict += ",";
    if (i + 1 < tensor.dims().size()) dict += " ";
  }
  dict += "), }";

  // Pad with spaces so that the data starts on a 64-byte boundary; the header ends with '\n'.
  int major = 1;
  size_t prefix = kMagicSize + 2 + 2;
  size_t total = (prefix + dict.size() + 1 + 63) / 64 * 64;
  if (total - prefix > 0xffff) {
    major = 2;
    prefix = kMagicSize + 2 + 4;
    total = (prefix + dict.size() + 1 + 63) / 64 * 64;
  }
  const size_t header_len = total - prefix;
  dict.append(header_len - dict.size() - 1, ' ');
  dict += '\n';

  std::string head(kMagic, kMagicSize);
  head += static_cast<char>(major);
  head += '\0';
  for (size_t i = 0; i < (major == 1 ? 2u : 4u); ++i) {
    head += static_cast<char>((header_len >> (8 * i)) & 0xff);
  }

  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) fail(ErrorCode::kIo, path, "cannot open npy file for writing");
  out.write(head.data(), static_cast<std::streamsize>(head.size()));
  out.write(dict.data(), static_cast<std::streamsize>(dict.size()));
  out.write(static_cast<const char*>(tensor.raw()), static_cast<std::streamsize>(tensor.bytes()));
  out.close();
  if (!out) fail(ErrorCode::kIo, path, "error writing npy file");
}

}  // namespace lowp::io

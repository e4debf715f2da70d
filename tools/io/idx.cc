#include "tools/io/idx.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <memory>

#include "lowp/error.h"

namespace lowp::io {
namespace {

constexpr uint32_t kImagesMagic = 0x00000803;
constexpr uint32_t kLabelsMagic = 0x00000801;
constexpr uint32_t kMaxSide = 1 << 14;

// A gzip (or plain, gzread passes those through) file read in full-or-fail chunks.
class GzReader {
 public:
  explicit GzReader(const std::string& path) : path_(path), file_(gzopen(path.c_str(), "rb")) {
    if (!file_) throw_error(ErrorCode::kIo, path + ": cannot open idx file");
  }
  ~GzReader() { gzclose(file_); }
  GzReader(const GzReader&) = delete;
  GzReader& operator=(const GzReader&) = delete;

  // Reads up to `size` bytes; returns how many were read (short only at the end of the file).
  size_t read_some(void* data, size_t size) {
    size_t done = 0;
    while (done < size) {
      const unsigned chunk = static_cast<unsigned>(std::min<size_t>(size - done, 1u << 30));
      const int n = gzread(file_, static_cast<char*>(data) + done, chunk);
      if (n < 0) {
        int errnum = 0;
        const char* msg = gzerror(file_, &errnum);
        throw_error(ErrorCode::kInvalidModel,
                    path_ + ": cannot read idx file (" + (msg ? msg : "zlib error") + ")");
      }
      if (n == 0) break;
      done += static_cast<size_t>(n);
    }
    return done;
  }

  void read(void* data, size_t size, const char* what) {
    const size_t n = read_some(data, size);
    if (n != size) {
      throw_error(ErrorCode::kInvalidModel, path_ + ": idx file is truncated (" + what +
                                                ": expected " + std::to_string(size) +
                                                " bytes, got " + std::to_string(n) + ")");
    }
  }

  // Reads `size` bytes into `out` a chunk at a time, so a header that claims more than the file
  // holds costs at most about twice what the file really decompresses to.
  void read_growing(size_t size, const char* what, std::vector<uint8_t>& out) {
    constexpr size_t kChunk = size_t{1} << 20;
    out.clear();
    while (out.size() < size) {
      const size_t at = out.size();
      const size_t want = std::min(kChunk, size - at);
      out.resize(at + want);
      const size_t n = read_some(out.data() + at, want);
      if (n != want) {
        throw_error(ErrorCode::kInvalidModel, path_ + ": idx file is truncated (" + what +
                                                  ": expected " + std::to_string(size) +
                                                  " bytes, got " + std::to_string(at + n) + ")");
      }
    }
  }

  uint32_t read_u32(const char* what) {
    unsigned char b[4];
    read(b, 4, what);
    return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
  }

  void expect_end() {
    char extra = 0;
    if (read_some(&extra, 1) != 0) {
      throw_error(ErrorCode::kInvalidModel, path_ + ": idx file has unexpected trailing data");
    }
  }

 private:
  const std::string& path_;
  gzFile file_;
};

void check_magic(const std::string& path, uint32_t magic, uint32_t expected, const char* kind) {
  if (magic != expected) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "0x%08x (expected 0x%08x)", magic, expected);
    throw_error(ErrorCode::kInvalidModel,
                path + ": not an idx " + kind + " file: magic number " + buf);
  }
}

}  // namespace

IdxImages read_idx_images(const std::string& path) {
  GzReader in(path);
  check_magic(path, in.read_u32("magic number"), kImagesMagic, "image");
  const uint32_t count = in.read_u32("image count");
  const uint32_t rows = in.read_u32("row count");
  const uint32_t cols = in.read_u32("column count");
  if (rows == 0 || cols == 0 || rows > kMaxSide || cols > kMaxSide) {
    throw_error(ErrorCode::kInvalidModel, path + ": idx images have invalid size " +
                                              std::to_string(rows) + "x" + std::to_string(cols));
  }
  IdxImages images;
  images.count = count;
  images.rows = static_cast<int>(rows);
  images.cols = static_cast<int>(cols);
  in.read_growing(static_cast<size_t>(count) * rows * cols, "pixels", images.pixels);
  in.expect_end();
  return images;
}

std::vector<uint8_t> read_idx_labels(const std::string& path) {
  GzReader in(path);
  check_magic(path, in.read_u32("magic number"), kLabelsMagic, "label");
  const uint32_t count = in.read_u32("label count");
  std::vector<uint8_t> labels;
  in.read_growing(count, "labels", labels);
  in.expect_end();
  return labels;
}

}  // namespace lowp::io

#include "tools/io/image_decode.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>

#include "lowp/error.h"

// Declarations only: stb_image_impl.cc compiles the implementation.
#include "stb_image.h"

namespace lowp::io {
namespace {

uint16_t be16(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}

// The DHT segment's tables: class/id byte, 16 counts, then as many symbols as the counts add to.
std::string dht_problem(std::span<const uint8_t> body) {
  for (size_t at = 0; at < body.size();) {
    if (body.size() - at < 17) return "a truncated Huffman table";
    if ((body[at] >> 4) > 1 || (body[at] & 15) > 3) return "a Huffman table of unknown class or id";
    size_t symbols = 0;
    for (size_t i = 1; i <= 16; ++i) symbols += body[at + i];
    if (symbols > 256)
      return "a Huffman table of " + std::to_string(symbols) + " codes (at most 256)";
    at += 17 + symbols;
  }
  return "";
}

}  // namespace

bool is_jpeg(std::span<const uint8_t> bytes) {
  size_t at = 0;
  while (at < bytes.size() && bytes[at] == 0xFF) ++at;  // stb skips fill bytes before SOI too
  return at > 0 && at < bytes.size() && bytes[at] == 0xD8;
}

std::string jpeg_huffman_table_problem(std::span<const uint8_t> jpeg) {
  size_t at = 0;  // SOI (after any fill bytes) is skipped as a marker without length
  while (at + 1 < jpeg.size()) {
    if (jpeg[at] != 0xFF) {  // entropy-coded data (after SOS): skip to the next marker
      ++at;
      continue;
    }
    const uint8_t marker = jpeg[at + 1];
    // Fill bytes, stuffed zeros and restart markers carry no length.
    if (marker == 0xFF || marker == 0x00 || (marker >= 0xD0 && marker <= 0xD8) || marker == 0x01) {
      at += marker == 0xFF ? 1 : 2;
      continue;
    }
    if (marker == 0xD9 || at + 4 > jpeg.size()) return "";  // EOI, or nothing left to check
    const size_t length = be16(jpeg, at + 2);
    if (length < 2) return "";  // stb refuses this itself
    if (marker == 0xC4) {
      // A segment that runs past the end is still parsed by stb (reading zeros): check what is
      // there.
      const size_t body = std::min(length - 2, jpeg.size() - (at + 4));
      std::string problem = dht_problem(jpeg.subspan(at + 4, body));
      if (!problem.empty()) return problem;
    }
    at += 2 + length;
  }
  return "";
}

DecodedImage decode_image(const std::string& path, int64_t max_pixels) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_error(ErrorCode::kIo, path + ": cannot open image file");
  const std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in),
                                   std::istreambuf_iterator<char>()};
  return decode_image_bytes(bytes, path, max_pixels);
}

DecodedImage decode_image_bytes(std::span<const uint8_t> bytes, const std::string& path,
                                int64_t max_pixels) {
  if (bytes.size() > static_cast<size_t>(INT32_MAX))
    throw_error(ErrorCode::kInvalidArgument, path + ": image file over 2 GiB");
  const auto* data = bytes.data();
  const int size = static_cast<int>(bytes.size());
  // Before stb reads anything (stbi_info parses the Huffman tables too).
  if (is_jpeg(bytes)) {
    const std::string problem = jpeg_huffman_table_problem(bytes);
    if (!problem.empty())
      throw_error(ErrorCode::kInvalidArgument, path + ": cannot decode image (" + problem + ")");
  }
  DecodedImage image;
  // The header first: the pixel count is checked before stb allocates the decoded image.
  if (stbi_info_from_memory(data, size, &image.width, &image.height, &image.channels) &&
      static_cast<int64_t>(image.width) * image.height > max_pixels) {
    throw_error(ErrorCode::kInvalidArgument, path + ": image of " + std::to_string(image.width) +
                                                 "x" + std::to_string(image.height) +
                                                 " pixels is over the limit of " +
                                                 std::to_string(max_pixels) + " pixels");
  }
  std::unique_ptr<stbi_uc, void (*)(void*)> pixels(
      stbi_load_from_memory(data, size, &image.width, &image.height, &image.channels, 0),
      stbi_image_free);
  if (!pixels) {
    const char* reason = stbi_failure_reason();
    throw_error(ErrorCode::kInvalidArgument,
                path + ": cannot decode image (" + (reason ? reason : "unknown reason") + ")");
  }
  if (image.width <= 0 || image.height <= 0 || image.channels < 1 || image.channels > 4) {
    throw_error(ErrorCode::kInvalidArgument, path + ": image has an unsupported layout");
  }
  const size_t n = static_cast<size_t>(image.width) * image.height * image.channels;
  image.pixels.assign(pixels.get(), pixels.get() + n);
  return image;
}

}  // namespace lowp::io

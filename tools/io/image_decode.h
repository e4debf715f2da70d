// JPEG and PNG files -> 8-bit pixels (stb_image), with the limits and checks a hostile file needs.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace lowp::io {

struct DecodedImage {
  int width = 0, height = 0;
  int channels = 0;             // 1 (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA)
  std::vector<uint8_t> pixels;  // height x width x channels, interleaved
};

// Decodes `path`. Refused with lowp::Error naming the path: a missing file (kIo), an image of
// more than `max_pixels` pixels (checked from the header, before decoding), anything stb_image
// cannot decode, and JPEG files whose structure stb_image 2.27 (Debian 12's) mishandles.
DecodedImage decode_image(const std::string& path, int64_t max_pixels);
// The same for the bytes of an encoded file; `path` names them in errors.
DecodedImage decode_image_bytes(std::span<const uint8_t> bytes, const std::string& path,
                                int64_t max_pixels);

// Whether stb_image takes `bytes` for a JPEG: SOI after any number of 0xFF fill bytes.
bool is_jpeg(std::span<const uint8_t> bytes);

// What is wrong with a JPEG's Huffman tables (DHT segments), or empty: stb_image 2.27 writes past
// its tables when a table's 16 code counts add up to more than 256 (fixed upstream in 2.28).
std::string jpeg_huffman_table_problem(std::span<const uint8_t> jpeg);

}  // namespace lowp::io

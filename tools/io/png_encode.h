// 8-bit images encoded as PNG in memory (stb_image_write), and base64 for data: URLs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lowp::io {

// `pixels`: width x height x channels (1, 3 or 4) bytes, row-major. Throws kInvalidArgument for
// sizes that do not match.
std::string encode_png(const std::vector<uint8_t>& pixels, int width, int height, int channels);
std::string base64(const std::string& bytes);

}  // namespace lowp::io

// The one translation unit that compiles stb_image (JPEG and PNG decoding only).
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
// Neither side of a decoded image may exceed this (stb's default is 2^24); the pixel count is
// limited before decoding too (image_preprocess.cc).
#define STBI_MAX_DIMENSIONS (1 << 14)
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wall"
#pragma GCC diagnostic ignored "-Wextra"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#endif
#include "stb_image.h"
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

// Which files of a folder lowp reads: image files by extension (any case), listed sorted by name.
#pragma once

#include <filesystem>
#include <vector>

namespace lowp::io {

bool is_image_file(const std::filesystem::path& p);  // .jpg .jpeg .png, any case
bool is_npy_file(const std::filesystem::path& p);

// Regular files of `folder` accepted by `keep`, sorted by file name. Errors (kIo) name the folder.
std::vector<std::filesystem::path> list_files(const std::filesystem::path& folder,
                                              bool (*keep)(const std::filesystem::path&));

}  // namespace lowp::io

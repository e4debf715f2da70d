#include "tools/io/file_lists.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "lowp/error.h"

namespace lowp::io {
namespace fs = std::filesystem;
namespace {

bool has_extension(const fs::path& p, std::initializer_list<const char*> exts) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::tolower(c); });
  return std::any_of(exts.begin(), exts.end(), [&](const char* x) { return e == x; });
}

}  // namespace

bool is_image_file(const fs::path& p) { return has_extension(p, {".jpg", ".jpeg", ".png"}); }
bool is_npy_file(const fs::path& p) { return has_extension(p, {".npy"}); }

std::vector<fs::path> list_files(const fs::path& folder, bool (*keep)(const fs::path&)) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    if (entry.is_regular_file(ec) && keep(entry.path())) files.push_back(entry.path());
  }
  if (ec)
    throw_error(ErrorCode::kIo, folder.string() + ": cannot list folder (" + ec.message() + ")");
  std::sort(files.begin(), files.end(),
            [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });
  return files;
}

}  // namespace lowp::io

// Whole-file writes that readers never see half done: plans and calibration caches.
#pragma once

#include <string>

namespace lowp {

// Writes `bytes` to a temporary file of its own beside `path` (mkstemp: two writers never share
// one) and renames it over `path`, so readers see the old file or the new one, never half; the
// temporary file is removed when anything fails. Errors (kIo) name `path`.
void write_file_atomically(const std::string& path, const std::string& bytes);

}  // namespace lowp

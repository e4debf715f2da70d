#include "backends/cuda/tactic_store.h"

#include <utility>

namespace lowp::cuda {

TacticStore::TacticStore(std::string identity, TacticMap loaded)
    : prefix_("cuda|" + std::move(identity) + "|"), entries_(std::move(loaded)) {}

std::optional<std::string> TacticStore::find(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(prefix_ + key);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

void TacticStore::record(const std::string& key, std::string value) {
  std::lock_guard<std::mutex> lock(mutex_);
  entries_[prefix_ + key] = std::move(value);
}

TacticMap TacticStore::all() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_;
}

}  // namespace lowp::cuda

// The one cache policy of lowp's compiled-program caches (CPU programs per input shape, CUDA
// programs and each session's prepared device state, the engine's value-specialised variants and a
// session's contexts for them): bounded, least recently used goes first. Not thread-safe: each
// owner guards it with its own mutex.
#pragma once

#include <algorithm>
#include <cstddef>
#include <list>
#include <map>
#include <optional>
#include <utility>

namespace lowp {

template <typename Key, typename Value>
class LruCache {
 public:
  explicit LruCache(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {}

  // The value cached for `key`, now the most recently used; nullptr when absent.
  Value* find(const Key& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    entries_.splice(entries_.begin(), entries_, it->second);
    return &it->second->second;
  }

  struct Inserted {
    Value& value;
    std::optional<Value> evicted;  // the least recently used entry, when the cache was full
  };
  // Caches `value` for `key` as the most recently used (replacing what `key` held, if anything).
  // When full, the least recently used entry leaves first; it is handed back so the caller decides
  // when it dies (after synchronising a device, say).
  Inserted insert(const Key& key, Value value) {
    std::optional<Value> evicted;
    if (auto it = index_.find(key); it != index_.end()) {
      entries_.splice(entries_.begin(), entries_, it->second);
      evicted.emplace(std::exchange(it->second->second, std::move(value)));
      return {it->second->second, std::move(evicted)};
    }
    evicted = make_room();
    entries_.emplace_front(key, std::move(value));
    index_[key] = entries_.begin();
    return {entries_.front().second, std::move(evicted)};
  }

  // When full, removes the least recently used entry and hands it back (to free it before
  // building its replacement); otherwise nothing.
  std::optional<Value> make_room() {
    if (entries_.size() < capacity_) return std::nullopt;
    std::optional<Value> evicted(std::move(entries_.back().second));
    index_.erase(entries_.back().first);
    entries_.pop_back();
    return evicted;
  }

  size_t size() const { return entries_.size(); }
  size_t capacity() const { return capacity_; }
  void clear() {
    index_.clear();
    entries_.clear();
  }

 private:
  using Entries = std::list<std::pair<Key, Value>>;
  size_t capacity_;
  Entries entries_;  // most recently used first
  std::map<Key, typename Entries::iterator> index_;
};

}  // namespace lowp

#pragma once

#include <cstdint>
#include <cstring>
#include <string>

namespace dlbfgs::internal {

/// FNV-1a hash over the bytes of values (64-bit), for cheap equality checks across ranks and
/// against checkpoints.
class Fingerprint {
 public:
  template <typename T>
  void Add(const T& value) {
    unsigned char bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));
    AddBytes(bytes, sizeof(T));
  }
  void Add(const std::string& text) {
    Add(text.size());
    AddBytes(text.data(), text.size());
  }
  void AddBytes(const void* data, std::size_t size) {
    const unsigned char* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < size; ++i) hash_ = (hash_ ^ p[i]) * 1099511628211ULL;
  }
  std::uint64_t value() const { return hash_; }
  /// The hash of `size` bytes at `data`.
  static std::uint64_t Of(const void* data, std::size_t size) {
    Fingerprint h;
    h.AddBytes(data, size);
    return h.value();
  }

 private:
  std::uint64_t hash_ = 14695981039346656037ULL;
};

}  // namespace dlbfgs::internal

// `decoded_size`: what the values being decoded will take in memory, counted as the
// decoders build them, against decode_limits::max_decoded_size. A message's bytes say
// little about that: one MsgPack byte (an empty list) becomes a value of about 48 bytes, so
// a 16 MiB message of empty lists would take most of a gigabyte. The figures are those of
// nlohmann::json on 64-bit glibc (the value, the heap object it points to, malloc's
// overhead), rounded up; an estimate, not an account.
#pragma once

#include <cstddef>
#include <string>

namespace autobahn_sync::wamp::detail {

class decoded_size {
 public:
  explicit decoded_size(std::size_t limit) noexcept : limit_(limit) {}

  // Each returns false once the total is over the limit.
  bool scalar() noexcept { return add(value_bytes); }
  bool string(std::size_t length) noexcept { return add(value_bytes + 48 + heap_text(length)); }
  bool binary(std::size_t length) noexcept { return add(value_bytes + 64 + length); }
  bool list() noexcept { return add(value_bytes + 32); }
  bool dict() noexcept { return add(value_bytes + 64); }
  /// A dict entry's node, beside its value (counted on its own).
  bool dict_entry(std::size_t key_length) noexcept { return add(64 + heap_text(key_length)); }

  std::size_t limit() const noexcept { return limit_; }

 private:
  static constexpr std::size_t value_bytes = 16;
  // Text past std::string's 15-byte inline buffer takes a heap block of its own.
  static std::size_t heap_text(std::size_t length) noexcept { return length > 15 ? length + 17 : 0; }
  bool add(std::size_t bytes) noexcept {
    total_ += bytes;
    return total_ <= limit_;
  }

  std::size_t limit_;
  std::size_t total_ = 0;
};

/// The detail of a decode that failed with decoded_too_large.
inline std::string decoded_too_large_detail(std::size_t limit) {
  return "the decoded values would take over " + std::to_string(limit) + " bytes of memory (the limit)";
}

}  // namespace autobahn_sync::wamp::detail

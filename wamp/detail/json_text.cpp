#include "wamp/detail/json_text.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "wamp/base64.hpp"
#include "wamp/detail/decoded_size.hpp"
#include "wamp/detail/field_slots.hpp"
#include "wamp/utf8.hpp"

namespace autobahn_sync::wamp::detail {
namespace {

constexpr std::uint64_t ones = 0x0101010101010101ull;
constexpr std::uint64_t highs = 0x8080808080808080ull;

// Whether any of the eight bytes of `chunk` needs a look of its own in a string: a quote, a
// backslash, a control character (below 0x20) or a byte of a multi-byte UTF-8 sequence.
bool needs_a_look(std::uint64_t chunk) {
  const auto zero_byte = [](std::uint64_t v) { return (v - ones) & ~v & highs; };
  const std::uint64_t below_space = (chunk - ones * 0x20) & ~chunk & highs;
  return ((chunk & highs) | below_space | zero_byte(chunk ^ (ones * '"')) | zero_byte(chunk ^ (ones * '\\'))) != 0;
}

void append_utf8(std::uint32_t code, std::string& out) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

template <class Integer>
void append_integer(Integer v, std::string& out) {
  char buffer[24];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
  out.append(buffer, end);
}

class reader {
 public:
  reader(std::string_view text, const decode_limits& limits)
      : begin_(text.data()), p_(text.data()), end_(text.data() + text.size()), max_depth_(limits.max_depth),
        size_(limits.max_decoded_size) {}

  json_read read() {
    json_read result;
    skip_byte_order_mark();
    if (!read_all(result.parsed)) {
      result.parsed = nullptr;
      result.error = error_;
      result.detail = std::move(detail_);
    }
    return result;
  }

  // Reads a usual message's list straight into the fields of `msg` (field_slots.hpp), with
  // the same limits counted in the same order as read(): false at the first thing that is
  // not a well-formed message (or passes a limit), which read() and from_value() then read
  // again and explain.
  bool read_message(message& msg) {
    skip_byte_order_mark();
    skip_whitespace();
    if (p_ == end_ || *p_ != '[' || max_depth_ < 1 || !size_.list()) return false;
    ++p_;
    open_.push_back({nullptr, nullptr});  // the message's list: its elements are fields
    field_slots slots;
    value scalar;  // a number or null read where a field is
    for (std::size_t element = 0;; ++element) {
      skip_whitespace();
      if (p_ == end_) return false;
      if (*p_ == ']') {
        if (element == 0 || element - 1 < slots.required) return false;
        ++p_;
        skip_whitespace();
        return p_ == end_;
      }
      if (element > 0) {
        if (*p_ != ',' || element - 1 >= slots.count) return false;
        ++p_;
        skip_whitespace();
        if (p_ == end_) return false;
      }
      if (element == 0) {
        if (!read_field_scalar(scalar)) return false;
        const auto code = as_unsigned(scalar);
        if (!code || !emplace_message(msg, *code, slots)) return false;
        continue;
      }
      const field_slot& field = slots.slot[element - 1];
      switch (*p_) {
        case '"': {
          if (field.what != field_slot::kind::string) return false;
          auto& text = *static_cast<std::string*>(field.target);
          ++p_;
          if (!read_string_body(text) || !size_.string(text.size())) return false;
          if (!text.empty() && text.front() == '\0') return false;  // binary, not a string
          break;
        }
        case '[':
          if (field.what != field_slot::kind::args || !open_checked(false)) return false;
          if (!fill(static_cast<list*>(field.target), nullptr)) return false;
          break;
        case '{':
          if ((field.what != field_slot::kind::dict && field.what != field_slot::kind::kwargs) || !open_checked(true)) return false;
          if (!fill(nullptr, static_cast<dict*>(field.target))) return false;
          break;
        default: {
          if (!read_field_scalar(scalar)) return false;
          if (scalar.is_null() && (field.what == field_slot::kind::args || field.what == field_slot::kind::kwargs)) break;
          const auto v = as_unsigned(scalar);
          if (!v) return false;
          if (field.what == field_slot::kind::type && is_request_that_can_fail(*v)) {
            *static_cast<message_type*>(field.target) = static_cast<message_type>(*v);
          } else if (field.what == field_slot::kind::id && *v <= max_id && (*v > 0 || field.zero_allowed)) {
            *static_cast<id*>(field.target) = *v;
          } else {
            return false;
          }
        }
      }
    }
  }

 private:
  // The containers being filled, innermost last: a list or a dict, a value's or a message
  // field's (neither for a message's own list). Each is the last element of the one before
  // it (or the value of its newest key), which does not change while it is open, so the
  // pointers stay valid.
  struct open_container {
    list* l;
    dict* d;
  };

  void skip_byte_order_mark() {
    if (end_ - p_ >= 3 && std::memcmp(p_, "\xEF\xBB\xBF", 3) == 0) p_ += 3;  // as nlohmann
  }

  bool read_all(value& root) {
    skip_whitespace();
    if (p_ == end_) return syntax("the text ends where a value should be");
    if (*p_ == '[' || *p_ == '{') {
      const bool is_dict = *p_ == '{';
      if (!open_checked(is_dict)) return false;
      if (is_dict ? !fill(nullptr, &(root = value::object()).get_ref<dict&>())
                  : !fill(&(root = value::array()).get_ref<list&>(), nullptr)) {
        return false;
      }
    } else if (!read_scalar(root)) {
      return false;
    }
    skip_whitespace();
    return p_ == end_ || syntax("more text follows the value");
  }

  // At a container's opening bracket: checks the depth and the size limits, and steps over it.
  bool open_checked(bool is_dict) {
    if (static_cast<int>(open_.size()) >= max_depth_) {
      return fail(errc::nesting_too_deep, "values nest deeper than " + std::to_string(max_depth_));
    }
    ++p_;
    return fits(is_dict ? size_.dict() : size_.list());
  }

  // After a container's opening bracket: reads what it holds, through its closing bracket,
  // into `l` or `d`; the containers inside it are filled on open_, not by recursion.
  bool fill(list* l, dict* d) {
    const std::size_t outside = open_.size();
    open_.push_back({l, d});
    value* slot = nullptr;  // where the next value goes
    skip_whitespace();
    if (p_ != end_ && *p_ == (d ? '}' : ']')) {
      ++p_;
      open_.pop_back();
      return true;
    }
    if (!(slot = next_slot())) return false;
    for (;;) {
      skip_whitespace();
      if (p_ == end_) return syntax("the text ends where a value should be");
      const char c = *p_;
      if (c == '[' || c == '{') {
        const bool is_dict = c == '{';
        if (!open_checked(is_dict)) return false;
        if (is_dict) {
          open_.push_back({nullptr, &(*slot = value::object()).get_ref<dict&>()});
        } else {
          open_.push_back({&(*slot = value::array()).get_ref<list&>(), nullptr});
        }
        skip_whitespace();
        if (p_ != end_ && *p_ == (is_dict ? '}' : ']')) {
          ++p_;
          open_.pop_back();
        } else {
          if (!(slot = next_slot())) return false;
          continue;
        }
      } else if (!read_scalar(*slot)) {
        return false;
      }
      // A value is complete: close what it completes, then find where the next one goes.
      for (;;) {
        skip_whitespace();
        if (open_.size() == outside) return true;
        if (p_ == end_) return syntax("the text ends inside a list or dict");
        const auto& top = open_.back();
        if (*p_ == ',') {
          ++p_;
          if (!(slot = next_slot())) return false;
          break;
        }
        if (*p_ != (top.d ? '}' : ']')) {
          return syntax(top.d ? "expected ',' or '}' after a dict's value" : "expected ',' or ']' after a list's element");
        }
        ++p_;
        open_.pop_back();
      }
    }
  }

  // The place of the next element of the innermost container (after its key, for a dict).
  value* next_slot() {
    const auto& top = open_.back();
    if (!top.d) return &top.l->emplace_back();
    skip_whitespace();
    if (p_ == end_ || *p_ != '"') {
      syntax("expected a string as the dict's key");
      return nullptr;
    }
    ++p_;
    std::string key;
    if (!read_string_body(key) || !fits(size_.dict_entry(key.size()))) return nullptr;
    skip_whitespace();
    if (p_ == end_ || *p_ != ':') {
      syntax("expected ':' after a dict's key");
      return nullptr;
    }
    ++p_;
    auto& entry = (*top.d)[std::move(key)];
    entry = nullptr;  // a duplicate key: the last one wins
    return &entry;
  }

  // A number, a literal or a string read where a field is: only numbers and null are kept
  // (a string field is read by read_message itself).
  bool read_field_scalar(value& v) { return *p_ != '"' && read_scalar(v); }

  bool read_scalar(value& v) {
    switch (*p_) {
      case '"': {
        ++p_;
        std::string text;
        if (!read_string_body(text) || !fits(size_.string(text.size()))) return false;
        if (text.empty() || text.front() != '\0') {
          v = std::move(text);
          return true;
        }
        auto bytes = base64_decode(std::string_view(text).substr(1));
        if (!bytes) return fail(errc::malformed, "a string starting with NUL is not valid base64 binary");
        v = value::binary(binary::container_type(bytes->begin(), bytes->end()));
        return true;
      }
      case 't': return literal("true", true, v);
      case 'f': return literal("false", false, v);
      case 'n': return literal("null", nullptr, v);
      case 'N': return literal("NaN", std::numeric_limits<double>::quiet_NaN(), v);
      case 'I': return literal("Infinity", std::numeric_limits<double>::infinity(), v);
      default:
        if (end_ - p_ >= 2 && p_[0] == '-' && p_[1] == 'I') return literal("-Infinity", -std::numeric_limits<double>::infinity(), v);
        if (*p_ == '-' || (*p_ >= '0' && *p_ <= '9')) return read_number(v);
        return syntax("expected a value");
    }
  }

  template <class T>
  bool literal(std::string_view word, T meaning, value& v) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) {
      return syntax("expected a value");
    }
    p_ += word.size();
    if (!fits(size_.scalar())) return false;
    v = meaning;
    return true;
  }

  // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, as nlohmann reads it: an integer as an
  // unsigned (without '-') or signed 64-bit value when it fits, otherwise as a double.
  bool read_number(value& v) {
    const char* start = p_;
    const auto digits = [&] {
      const char* from = p_;
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
      return p_ != from;
    };
    const bool negative = *p_ == '-';
    if (negative) ++p_;
    if (p_ != end_ && *p_ == '0') {
      ++p_;
    } else if (!digits()) {
      return syntax("expected a digit");
    }
    bool integral = true;
    if (p_ != end_ && *p_ == '.') {
      ++p_;
      integral = false;
      if (!digits()) return syntax("expected a digit after '.'");
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      integral = false;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (!digits()) return syntax("expected a digit in the exponent");
    }
    if (!fits(size_.scalar())) return false;
    if (integral) {
      if (negative) {
        std::int64_t n;
        if (std::from_chars(start, p_, n).ec == std::errc()) return v = n, true;
      } else {
        std::uint64_t n;
        if (std::from_chars(start, p_, n).ec == std::errc()) return v = n, true;
      }
    }
    double d;
    const auto [end, ec] = std::from_chars(start, p_, d);
    if (ec == std::errc()) return v = d, true;
    // Out of range: past the largest double (refused, as nlohmann does), or below the
    // smallest, which is zero.
    if (magnitude_exponent(start, p_) >= 0) return syntax("the number is too large for a double");
    v = negative ? -0.0 : 0.0;
    return true;
  }

  // The decimal exponent of the number's first significant digit (0 for 1..9.99): its sign
  // tells a number too large for a double from one too small. The token is well formed.
  static long magnitude_exponent(const char* p, const char* end) {
    if (*p == '-') ++p;
    long exponent = 0;
    bool found = false, fraction = false;
    for (; p != end && *p != 'e' && *p != 'E'; ++p) {
      if (*p == '.') {
        fraction = true;
        continue;
      }
      if (fraction) {
        if (!found) --exponent;
        if (*p != '0') found = true;
        if (found) break;
      } else {
        if (found || *p != '0') {
          if (found) ++exponent;
          found = true;
        }
      }
    }
    if (!found) return std::numeric_limits<long>::min();  // zero
    while (p != end && *p != 'e' && *p != 'E') ++p;
    long written = 0;
    if (p != end) {
      ++p;
      const bool minus = *p == '-';
      if (*p == '+' || *p == '-') ++p;
      for (; p != end; ++p) written = std::min(written * 10 + (*p - '0'), 1L << 40);
      if (minus) written = -written;
    }
    return exponent + written;
  }

  // Reads a string's text after its opening quote, through its closing one, into `out`.
  bool read_string_body(std::string& out) {
    const char* run = p_;  // unescaped text not yet copied to `out`
    for (;;) {
      while (end_ - p_ >= 8) {
        std::uint64_t chunk;
        std::memcpy(&chunk, p_, 8);
        if (needs_a_look(chunk)) break;
        p_ += 8;
      }
      if (p_ == end_) return syntax("the text ends inside a string");
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        out.append(run, p_);
        ++p_;
        return true;
      }
      if (c == '\\') {
        out.append(run, p_);
        if (!read_escape(out)) return false;
        run = p_;
      } else if (c < 0x20) {
        return syntax("a control character must be escaped in a string");
      } else if (c < 0x80) {
        ++p_;
      } else {
        const std::size_t length = utf8_sequence_length(std::string_view(p_, static_cast<std::size_t>(end_ - p_)));
        if (length == 0) return fail(errc::invalid_utf8, "a string is not valid UTF-8 at byte " + offset());
        p_ += length;
      }
    }
  }

  // At a backslash: appends what the escape stands for.
  bool read_escape(std::string& out) {
    ++p_;
    if (p_ == end_) return syntax("the text ends inside a string");
    const char c = *p_++;
    switch (c) {
      case '"': out += '"'; return true;
      case '\\': out += '\\'; return true;
      case '/': out += '/'; return true;
      case 'b': out += '\b'; return true;
      case 'f': out += '\f'; return true;
      case 'n': out += '\n'; return true;
      case 'r': out += '\r'; return true;
      case 't': out += '\t'; return true;
      case 'u': break;
      default: return syntax("an unknown escape in a string");
    }
    std::uint32_t code = 0;
    if (!hex4(code)) return false;
    if (code >= 0xDC00 && code <= 0xDFFF) return syntax("a low surrogate escape without a high one before it");
    if (code >= 0xD800 && code <= 0xDBFF) {
      std::uint32_t low = 0;
      if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return syntax("a high surrogate escape without a low one after it");
      p_ += 2;
      if (!hex4(low)) return false;
      if (low < 0xDC00 || low > 0xDFFF) return syntax("a high surrogate escape without a low one after it");
      code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
    }
    append_utf8(code, out);
    return true;
  }

  bool hex4(std::uint32_t& code) {
    if (end_ - p_ < 4) return syntax("expected four hex digits after \\u");
    code = 0;
    for (int i = 0; i < 4; ++i, ++p_) {
      const char c = *p_;
      const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (digit < 0) return syntax("expected four hex digits after \\u");
      code = code * 16 + static_cast<std::uint32_t>(digit);
    }
    return true;
  }

  void skip_whitespace() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  std::string offset() const { return std::to_string(p_ - begin_); }

  bool syntax(const char* what) { return fail(errc::malformed, std::string("syntax error at byte ") + offset() + ": " + what); }

  bool fits(bool within_limit) {
    if (!within_limit) fail(errc::decoded_too_large, decoded_too_large_detail(size_.limit()));
    return within_limit;
  }

  bool fail(errc error, std::string detail) {
    error_ = error;
    detail_ = std::move(detail);
    return false;
  }

  const char* begin_;
  const char* p_;
  const char* end_;
  int max_depth_;
  decoded_size size_;
  // Messages nest a few levels: no allocation for the stack of open containers.
  boost::container::small_vector<open_container, 8> open_;
  errc error_{};
  std::string detail_;
};

}  // namespace

void append_json_string(std::string_view text, std::string& out) {
  out += '"';
  const char* p = text.data();
  const char* end = p + text.size();
  const char* run = p;  // text not yet copied
  while (p != end) {
    while (end - p >= 8) {
      std::uint64_t chunk;
      std::memcpy(&chunk, p, 8);
      if (needs_a_look(chunk)) break;
      p += 8;
    }
    if (p == end) break;
    const auto c = static_cast<unsigned char>(*p);
    if (c >= 0x80) {
      const std::size_t length = utf8_sequence_length(std::string_view(p, static_cast<std::size_t>(end - p)));
      if (length == 0) throw invalid_utf8_in_json{};
      p += length;
      continue;
    }
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++p;
      continue;
    }
    out.append(run, p);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        static constexpr char hex[] = "0123456789abcdef";
        const char escaped[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
        out.append(escaped, sizeof escaped);
      }
    }
    run = ++p;
  }
  out.append(run, end);
  out += '"';
}

void append_json_text(std::string_view text, std::string& out) {
  if (!text.empty() && text.front() == '\0') throw unrepresentable_in_json{};
  append_json_string(text, out);
}

void append_json_list(const list& l, std::string& out) {
  out += '[';
  bool first = true;
  for (const auto& e : l) {
    if (!first) out += ',';
    first = false;
    append_json(e, out);
  }
  out += ']';
}

void append_json_dict(const dict& d, std::string& out) {
  out += '{';
  bool first = true;
  for (const auto& [k, e] : d) {
    if (!first) out += ',';
    first = false;
    append_json_string(k, out);
    out += ':';
    append_json(e, out);
  }
  out += '}';
}

void append_json(const value& v, std::string& out) {
  switch (v.type()) {
    case value::value_t::null: out += "null"; return;
    case value::value_t::boolean: out += v.get<bool>() ? "true" : "false"; return;
    case value::value_t::number_integer: append_integer(v.get<std::int64_t>(), out); return;
    case value::value_t::number_unsigned: append_integer(v.get<std::uint64_t>(), out); return;
    case value::value_t::number_float: {
      const double d = v.get<double>();
      if (!std::isfinite(d)) throw unrepresentable_in_json{};
      std::array<char, 64> buffer;  // nlohmann's shortest text that reads back as the same double
      char* end = nlohmann::detail::to_chars(buffer.data(), buffer.data() + buffer.size(), d);
      out.append(buffer.data(), static_cast<std::size_t>(end - buffer.data()));
      return;
    }
    case value::value_t::string: append_json_text(v.get_ref<const std::string&>(), out); return;
    case value::value_t::binary: {
      const auto& bytes = v.get_binary();
      out += "\"\\u0000";
      out += base64_encode(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
      out += '"';
      return;
    }
    case value::value_t::array: append_json_list(v.get_ref<const list&>(), out); return;
    case value::value_t::object: append_json_dict(v.get_ref<const dict&>(), out); return;
    case value::value_t::discarded: throw unrepresentable_in_json{};
  }
}

json_read read_json(std::string_view text, const decode_limits& limits) { return reader(text, limits).read(); }

bool read_json_message(std::string_view text, const decode_limits& limits, message& msg) {
  return reader(text, limits).read_message(msg);
}

}  // namespace autobahn_sync::wamp::detail

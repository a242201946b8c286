#include "wamp/uri.hpp"

#include <algorithm>

namespace autobahn_sync::wamp {
namespace {

// True when the UTF-8 text at `at` starts with a whitespace character: those Python's `\s`
// matches in the loose-URI pattern of the specification (and AutobahnPython's), so that a URI
// one side refuses the other refuses too. ASCII: \t \n \v \f \r, \x1c-\x1f, space; beyond:
// U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000.
bool starts_with_whitespace(std::string_view at) noexcept {
  const auto byte = [&](std::size_t i) { return i < at.size() ? static_cast<unsigned char>(at[i]) : 0u; };
  const unsigned b0 = byte(0), b1 = byte(1), b2 = byte(2);
  if ((b0 >= 0x09 && b0 <= 0x0d) || (b0 >= 0x1c && b0 <= 0x20)) return true;
  if (b0 == 0xc2) return b1 == 0x85 || b1 == 0xa0;
  if (b0 == 0xe1) return b1 == 0x9a && b2 == 0x80;  // U+1680
  if (b0 == 0xe2 && b1 == 0x80) return b2 <= 0x8a || b2 == 0xa8 || b2 == 0xa9 || b2 == 0xaf;
  if (b0 == 0xe2 && b1 == 0x81) return b2 == 0x9f;  // U+205F
  if (b0 == 0xe3) return b1 == 0x80 && b2 == 0x80;  // U+3000
  return false;
}

bool is_strict_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

std::optional<match_policy> parse_match_policy(std::string_view text) noexcept {
  if (text == "exact") return match_policy::exact;
  if (text == "prefix") return match_policy::prefix;
  if (text == "wildcard") return match_policy::wildcard;
  return std::nullopt;
}

std::string_view to_string(match_policy policy) noexcept {
  switch (policy) {
    case match_policy::exact: return "exact";
    case match_policy::prefix: return "prefix";
    case match_policy::wildcard: return "wildcard";
  }
  return "exact";
}

bool is_valid_uri(std::string_view uri, uri_rules rules, match_policy policy) noexcept {
  if (uri.empty()) return policy == match_policy::prefix;  // "" prefix-matches everything
  const auto valid_char = [&](std::size_t i) {
    if (rules == uri_rules::strict) return is_strict_char(uri[i]);
    return uri[i] != '#' && !starts_with_whitespace(uri.substr(i));
  };
  std::size_t component_start = 0;
  for (std::size_t i = 0; i <= uri.size(); ++i) {
    if (i == uri.size() || uri[i] == '.') {
      const bool empty = i == component_start;
      const bool last = i == uri.size();
      if (empty) {
        if (policy == match_policy::exact) return false;
        if (policy == match_policy::prefix && !(last && i > 0)) return false;
      }
      component_start = i + 1;
    } else if (!valid_char(i)) {
      return false;
    }
  }
  return true;
}

bool uri_matches(std::string_view pattern, match_policy policy, std::string_view uri) noexcept {
  switch (policy) {
    case match_policy::exact: return pattern == uri;
    case match_policy::prefix: return uri.substr(0, pattern.size()) == pattern;
    case match_policy::wildcard: break;
  }
  // Component by component; an empty pattern component matches any one component.
  std::size_t p = 0;
  std::size_t u = 0;
  while (true) {
    const std::size_t p_end = std::min(pattern.find('.', p), pattern.size());
    const std::size_t u_end = std::min(uri.find('.', u), uri.size());
    const std::string_view p_part = pattern.substr(p, p_end - p);
    const std::string_view u_part = uri.substr(u, u_end - u);
    if (!p_part.empty() && p_part != u_part) return false;
    const bool p_done = p_end == pattern.size();
    const bool u_done = u_end == uri.size();
    if (p_done || u_done) return p_done && u_done;
    p = p_end + 1;
    u = u_end + 1;
  }
}

bool is_reserved_uri(std::string_view uri) noexcept { return uri.substr(0, 5) == "wamp."; }

}  // namespace autobahn_sync::wamp

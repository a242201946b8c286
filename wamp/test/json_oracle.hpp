// The reference the JSON serializer's own reader and writer (wamp/detail/json_text.hpp) are
// held to: nlohmann's strict parser and dump(), with the WAMP rules on top. Used by
// json_text_test and by the json_decode fuzz target.
#pragma once

#include <cmath>
#include <optional>
#include <string>
#include <string_view>

#include "wamp/base64.hpp"
#include "wamp/detail/json_text.hpp"
#include "wamp/value.hpp"

namespace autobahn_sync::wamp::test {

/// Equal and of the same kinds throughout: an unsigned 1, a signed 1 and 1.0 differ, and so
/// do 0.0 and -0.0 (nlohmann's == compares numbers by value across kinds).
inline bool same_value(const value& a, const value& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case value::value_t::number_float: {
      const double x = a.get<double>(), y = b.get<double>();
      if (std::isnan(x) || std::isnan(y)) return std::isnan(x) && std::isnan(y);
      return x == y && std::signbit(x) == std::signbit(y);
    }
    case value::value_t::array: {
      if (a.size() != b.size()) return false;
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (!same_value(a[i], b[i])) return false;
      }
      return true;
    }
    case value::value_t::object: {
      if (a.size() != b.size()) return false;
      for (auto i = a.begin(), j = b.begin(); i != a.end(); ++i, ++j) {
        if (i.key() != j.key() || !same_value(i.value(), j.value())) return false;
      }
      return true;
    }
    default: return a == b;
  }
}

namespace detail_oracle {

// `v` with the strings that start with NUL turned into the binary their base64 stands for;
// nullopt when one is not base64.
inline std::optional<value> with_binary(value v) {
  if (v.is_string()) {
    const auto& text = v.get_ref<const std::string&>();
    if (text.empty() || text[0] != '\0') return v;
    auto bytes = base64_decode(std::string_view(text).substr(1));
    if (!bytes) return std::nullopt;
    return value::binary(binary::container_type(bytes->begin(), bytes->end()));
  }
  if (v.is_array() || v.is_object()) {
    for (auto& e : v) {
      auto converted = with_binary(std::move(e));
      if (!converted) return std::nullopt;
      e = std::move(*converted);
    }
  }
  return v;
}

// The text with the bare tokens NaN, Infinity and -Infinity (outside strings) as null, and
// whether there were any.
inline std::pair<std::string, bool> nonfinite_tokens_as_null(std::string_view text) {
  std::string out;
  bool in_string = false, replaced = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) out += text[++i];
      else if (c == '"') in_string = false;
      continue;
    }
    in_string = c == '"';
    bool matched = false;
    for (std::string_view token : {"-Infinity", "Infinity", "NaN"}) {
      if (text.substr(i, token.size()) != token) continue;
      out += "null";
      i += token.size() - 1;
      matched = replaced = true;
      break;
    }
    if (!matched) out += c;
  }
  return {out, replaced};
}

inline value nonfinite_as_null(value v) {
  if (v.is_number_float() && !std::isfinite(v.get<double>())) return nullptr;
  if (v.is_array() || v.is_object()) {
    for (auto& e : v) e = nonfinite_as_null(std::move(e));
  }
  return v;
}

inline bool holds_nonfinite(const value& v) {
  if (v.is_number_float()) return !std::isfinite(v.get<double>());
  if (v.is_array() || v.is_object()) {
    for (const auto& e : v) {
      if (holds_nonfinite(e)) return true;
    }
  }
  return false;
}

}  // namespace detail_oracle

/// Empty when detail::read_json reads `text` as the reference does; otherwise what differs.
/// The reference: nlohmann's strict parser, with text starting with NUL read as base64
/// binary, the bare NaN, Infinity and -Infinity AutobahnPython writes read as doubles, and
/// any NUL byte outside a string refused (nlohmann takes it for the end of the text).
/// `max_depth` must exceed the text's nesting.
inline std::string json_reading_disagreement(std::string_view text, int max_depth = 1000) {
  using namespace detail_oracle;
  decode_limits limits;
  limits.max_depth = max_depth;
  const auto ours = wamp::detail::read_json(text, limits);
  if (text.find('\0') != std::string_view::npos) {
    return ours.error != errc{} ? "" : "read a text holding a NUL byte";
  }
  auto [plain, had_tokens] = nonfinite_tokens_as_null(text);
  const value reference = value::parse(had_tokens ? plain : std::string(text), nullptr, false);
  if (reference.is_discarded()) return ours.error != errc{} ? "" : "read a text the reference refuses";
  const auto expected = with_binary(reference);
  if (!expected) return ours.error == errc::malformed ? "" : "text starting with NUL that is not base64 was not refused";
  if (ours.error == errc::nesting_too_deep || ours.error == errc::decoded_too_large) return "";  // our limits
  if (ours.error != errc{}) return "refused a text the reference reads: " + ours.detail;
  if (!had_tokens && holds_nonfinite(ours.parsed)) return "read a NaN or Infinity that is not in the text";
  if (!same_value(nonfinite_as_null(ours.parsed), *expected)) return "read " + ours.parsed.dump() + " where the reference reads " + expected->dump();
  return "";
}

/// Whether nlohmann's dump() writes `v` as the serializer must: no binary, NaN or Infinity
/// (dump() writes them otherwise; text starting with NUL cannot come out of a read).
inline bool dump_is_the_reference_for(const value& v) {
  if (v.is_binary()) return false;
  if (v.is_number_float()) return std::isfinite(v.get<double>());
  if (v.is_array() || v.is_object()) {
    for (const auto& e : v) {
      if (!dump_is_the_reference_for(e)) return false;
    }
  }
  return true;
}

/// Empty when detail::append_json writes `v` as nlohmann's dump() does (`v` holds no binary,
/// no NaN or Infinity, and no text starting with NUL); otherwise what differs.
inline std::string json_writing_disagreement(const value& v) {
  std::string ours;
  try {
    wamp::detail::append_json(v, ours);
  } catch (const wamp::detail::invalid_utf8_in_json&) {
    return "refused to write " + v.dump(-1, ' ', false, value::error_handler_t::replace) + " as not UTF-8";
  } catch (const wamp::detail::unrepresentable_in_json&) {
    return "refused to write " + v.dump() + " as unrepresentable";
  }
  const std::string reference = v.dump();
  return ours == reference ? "" : "wrote " + ours + " where dump() writes " + reference;
}

}  // namespace autobahn_sync::wamp::test

// The JSON serializer (`wamp.2.json`). Binary payload values travel as strings holding a NUL
// character followed by the base64 of the bytes, as the specification's "Binary conversion of
// JSON Strings" says; any received string starting with NUL is turned back into binary.
#include <charconv>
#include <cmath>
#include <limits>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "wamp/base64.hpp"
#include "wamp/codec.hpp"
#include "wamp/detail/decoded_size.hpp"
#include "wamp/detail/message_writer.hpp"
#include "wamp/serializer.hpp"

namespace autobahn_sync::wamp {
namespace {

// Thrown by the writer for a value JSON cannot carry faithfully: nlohmann writes NaN and
// Infinity as null, and a reader takes text starting with NUL for binary.
struct unrepresentable_in_json {};

// True when `v` holds binary (written as strings); throws unrepresentable_in_json for what
// JSON would change.
bool contains_binary(const value& v) {
  switch (v.type()) {
    case value::value_t::binary: return true;
    case value::value_t::number_float:
      if (!std::isfinite(v.get<double>())) throw unrepresentable_in_json{};
      return false;
    case value::value_t::string:
      if (const auto& s = v.get_ref<const std::string&>(); !s.empty() && s.front() == '\0') throw unrepresentable_in_json{};
      return false;
    case value::value_t::array: {
      bool found = false;
      for (const auto& e : v.get_ref<const list&>()) found = contains_binary(e) || found;
      return found;
    }
    case value::value_t::object: {
      bool found = false;
      for (const auto& [k, e] : v.get_ref<const dict&>()) found = contains_binary(e) || found;  // keys stay text
      return found;
    }
    default: return false;
  }
}

// A copy of `v` with every binary replaced by its JSON string form.
value binary_as_strings(const value& v) {
  switch (v.type()) {
    case value::value_t::binary: {
      const auto& bytes = v.get_binary();
      std::string text(1, '\0');
      text += base64_encode(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
      return text;
    }
    case value::value_t::array: {
      list out;
      out.reserve(v.size());
      for (const auto& e : v.get_ref<const list&>()) out.push_back(binary_as_strings(e));
      return out;
    }
    case value::value_t::object: {
      dict out;
      for (const auto& [k, e] : v.get_ref<const dict&>()) out.emplace(k, binary_as_strings(e));
      return out;
    }
    default: return v;
  }
}

using json_output = nlohmann::detail::output_adapter<char, std::string>;
using json_dumper = nlohmann::detail::serializer<value>;

// Appends JSON text to a string; strict about UTF-8 (nlohmann throws type_error 316).
class json_writer {
 public:
  explicit json_writer(std::string& out) : out_(out), dumper_(json_output(out), ' ', nlohmann::json::error_handler_t::strict) {}

  void begin_list(std::size_t) { out_.push_back('['); first_ = true; }
  void end_list() { out_.push_back(']'); }
  void integer(std::uint64_t v) {
    separate();
    char buffer[24];
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
    out_.append(buffer, end);
  }
  void string(const std::string& v) {
    separate();
    if (!v.empty() && v.front() == '\0') throw unrepresentable_in_json{};
    dump(value(v));
  }
  void list(const wamp::list& v) {
    separate();
    out_.push_back('[');
    bool first = true;
    for (const auto& e : v) {
      if (!first) out_.push_back(',');
      first = false;
      dump(e);
    }
    out_.push_back(']');
  }
  void dict(const wamp::dict& v) {
    separate();
    out_.push_back('{');
    bool first = true;
    for (const auto& [k, e] : v) {
      if (!first) out_.push_back(',');
      first = false;
      dump(value(k));
      out_.push_back(':');
      dump(e);
    }
    out_.push_back('}');
  }

 private:
  void separate() {
    if (!first_) out_.push_back(',');
    first_ = false;
  }
  void dump(const value& v) {
    if (contains_binary(v)) {
      dumper_.dump(binary_as_strings(v), false, false, 0);
    } else {
      dumper_.dump(v, false, false, 0);
    }
  }

  std::string& out_;
  json_dumper dumper_;
  bool first_ = true;
};

// Feeds nlohmann's DOM builder while counting nesting and the memory the values take, so an
// attacker's "[[[[..." or "[[],[],[],..." is refused at the limit instead of being built.
class limited_builder {
 public:
  limited_builder(value& result, const decode_limits& limits)
      : dom_(result, true), max_depth_(limits.max_depth), size_(limits.max_decoded_size) {}

  bool too_deep = false;
  bool too_large = false;

  bool null() { return fits(size_.scalar()) && dom_.null(); }
  bool boolean(bool v) { return fits(size_.scalar()) && dom_.boolean(v); }
  bool number_integer(value::number_integer_t v) { return fits(size_.scalar()) && dom_.number_integer(v); }
  bool number_unsigned(value::number_unsigned_t v) { return fits(size_.scalar()) && dom_.number_unsigned(v); }
  bool number_float(value::number_float_t v, const std::string& s) { return fits(size_.scalar()) && dom_.number_float(v, s); }
  bool string(std::string& v) { return fits(size_.string(v.size())) && dom_.string(v); }
  bool binary(value::binary_t& v) { return fits(size_.binary(v.size())) && dom_.binary(v); }
  bool start_object(std::size_t n) { return enter() && fits(size_.dict()) && dom_.start_object(n); }
  bool key(std::string& v) { return fits(size_.dict_entry(v.size())) && dom_.key(v); }
  bool end_object() { --depth_; return dom_.end_object(); }
  bool start_array(std::size_t n) { return enter() && fits(size_.list()) && dom_.start_array(n); }
  bool end_array() { --depth_; return dom_.end_array(); }
  bool parse_error(std::size_t position, const std::string& token, const nlohmann::detail::exception& e) {
    error_message = e.what();
    return false;
  }

  std::string error_message;

 private:
  bool enter() {
    if (++depth_ > max_depth_) {
      too_deep = true;
      return false;
    }
    return true;
  }

  bool fits(bool within_limit) {
    if (!within_limit) too_large = true;
    return within_limit;
  }

  nlohmann::detail::json_sax_dom_parser<value> dom_;
  int max_depth_;
  int depth_ = 0;
  detail::decoded_size size_;
};

// Turns "\0<base64>" strings back into binary values, in place. Returns false on bad base64.
// AutobahnPython writes NaN and the infinities as the bare tokens NaN, Infinity and -Infinity
// (Python's json allows them), which strict JSON parsers refuse. A text that failed to parse
// gets them replaced, outside strings, by marker strings that no valid message can hold
// (a NUL then text that is not base64), which strings_to_binary turns into the numbers.
using namespace std::string_view_literals;  // "\0..."sv keeps the NUL a plain literal would end at
constexpr auto nan_marker = "\0!NaN"sv, infinity_marker = "\0!Infinity"sv, minus_infinity_marker = "\0!-Infinity"sv;

std::optional<std::string> with_nonfinite_markers(std::string_view text) {
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
    if (c == '"') in_string = true;
    bool matched = false;
    for (const auto& [token, marker] : {std::pair{std::string_view("NaN"), nan_marker},
                                        std::pair{std::string_view("Infinity"), infinity_marker},
                                        std::pair{std::string_view("-Infinity"), minus_infinity_marker}}) {
      if (text.substr(i, token.size()) != token) continue;
      out += "\"\\u0000" + std::string(marker.substr(1)) + "\"";
      i += token.size() - 1;
      matched = replaced = true;
      break;
    }
    if (!matched) out += c;
  }
  if (!replaced) return std::nullopt;
  return out;
}

bool strings_to_binary(value& v, bool nonfinite_markers = false) {
  switch (v.type()) {
    case value::value_t::string: {
      const auto& s = v.get_ref<const std::string&>();
      if (s.empty() || s[0] != '\0') return true;
      if (nonfinite_markers && (s == nan_marker || s == infinity_marker || s == minus_infinity_marker)) {
        constexpr double infinity = std::numeric_limits<double>::infinity();
        v = s == nan_marker ? std::numeric_limits<double>::quiet_NaN() : s == infinity_marker ? infinity : -infinity;
        return true;
      }
      auto bytes = base64_decode(std::string_view(s).substr(1));
      if (!bytes) return false;
      v = value::binary(binary::container_type(bytes->begin(), bytes->end()));
      return true;
    }
    case value::value_t::array:
      for (auto& e : v.get_ref<list&>())
        if (!strings_to_binary(e, nonfinite_markers)) return false;
      return true;
    case value::value_t::object:
      for (auto& [k, e] : v.get_ref<dict&>())
        if (!strings_to_binary(e, nonfinite_markers)) return false;
      return true;
    default: return true;
  }
}

class json_serializer_impl final : public serializer {
 public:
  serializer_kind kind() const noexcept override { return serializer_kind::json; }
  std::string_view subprotocol() const noexcept override { return "wamp.2.json"; }
  bool is_binary() const noexcept override { return false; }

  boost::system::error_code encode(const message& msg, std::string& out,
                                   std::size_t max_size) const override {
    out.clear();
    try {
      json_writer writer(out);
      detail::write_message(msg, writer);
    } catch (const nlohmann::json::type_error&) {
      out.clear();
      return errc::invalid_utf8;
    } catch (const unrepresentable_in_json&) {
      out.clear();
      return errc::unrepresentable;
    }
    if (out.size() > max_size) {
      out.clear();
      return errc::message_too_large;
    }
    return {};
  }

  decode_result decode(std::string_view bytes, const decode_limits& limits) const noexcept override {
    decode_result failed;
    try {
      if (bytes.size() > limits.max_message_size) {
        failed.error = errc::message_too_large;
        failed.detail = std::to_string(bytes.size()) + " bytes is over the limit of " +
                        std::to_string(limits.max_message_size);
        return failed;
      }
      value parsed;
      limited_builder builder(parsed, limits);
      bool ok = value::sax_parse(bytes.begin(), bytes.end(), &builder, nlohmann::detail::input_format_t::json, true);
      bool nonfinite = false;
      if (!ok && !builder.too_deep && !builder.too_large) {
        parsed = nullptr;  // the first attempt's partial tree: the retry has a budget of its own
        if (const auto marked = with_nonfinite_markers(bytes)) {
          value again;
          limited_builder retry(again, limits);
          if (value::sax_parse(marked->begin(), marked->end(), &retry, nlohmann::detail::input_format_t::json, true)) {
            parsed = std::move(again);
            ok = nonfinite = true;
          } else {
            // What kept it from parsing once the tokens were read.
            builder.too_deep = retry.too_deep;
            builder.too_large = retry.too_large;
          }
        }
      }
      if (builder.too_deep) {
        failed.error = errc::nesting_too_deep;
        failed.detail = "values nest deeper than " + std::to_string(limits.max_depth);
        return failed;
      }
      if (builder.too_large) {
        failed.error = errc::decoded_too_large;
        failed.detail = detail::decoded_too_large_detail(limits.max_decoded_size);
        return failed;
      }
      if (!ok) {
        const bool utf8 = builder.error_message.find("UTF-8") != std::string::npos;
        failed.error = utf8 ? errc::invalid_utf8 : errc::malformed;
        failed.detail = builder.error_message;
        return failed;
      }
      if (!strings_to_binary(parsed, nonfinite)) {
        failed.error = errc::malformed;
        failed.detail = "a string starting with NUL is not valid base64 binary";
        return failed;
      }
      return from_value(std::move(parsed));
    } catch (const std::bad_alloc&) {
      failed.error = errc::message_too_large;
      failed.detail = "out of memory while decoding";
    } catch (const std::exception& e) {
      failed.error = errc::malformed;
      failed.detail = e.what();
    }
    return failed;
  }
};

}  // namespace

const serializer& json_serializer() noexcept {
  static const json_serializer_impl instance;
  return instance;
}

}  // namespace autobahn_sync::wamp

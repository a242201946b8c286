#include "tools/wamp/cli_args.hpp"

#include <charconv>
#include <cstdlib>

#include "tools/wamp/exit_codes.hpp"
#include "wamp/transport/url.hpp"

namespace wamp_cli {

bool arg_reader::next() {
  if (inline_value_) throw usage_error(text_ + " takes no value");
  if (position_ >= args_.size()) return false;
  const std::string& arg = args_[position_++];
  separator_ = arg == "--";
  option_ = !separator_ && ((arg.size() > 2 && arg.starts_with("--")) || arg == "-h");
  text_ = arg;
  inline_value_.reset();
  if (option_) {
    if (const auto equals = arg.find('='); equals != std::string::npos) {
      text_ = arg.substr(0, equals);
      inline_value_ = arg.substr(equals + 1);
    }
  }
  return true;
}

std::string arg_reader::value() {
  if (inline_value_) {
    std::string v = std::move(*inline_value_);
    inline_value_.reset();
    return v;
  }
  if (position_ >= args_.size()) throw usage_error(text_ + " needs a value");
  return args_[position_++];
}

std::vector<std::string> arg_reader::remaining() {
  std::vector<std::string> rest(args_.begin() + static_cast<std::ptrdiff_t>(position_), args_.end());
  position_ = args_.size();
  return rest;
}

namespace {

constexpr std::uint64_t max_timeout_ms = 7ull * 24 * 3600 * 1000;  // a week

std::string environment_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : std::string(fallback);
}

}  // namespace

common_options common_options::from_environment() {
  common_options o;
  o.url = environment_or("AUTOBAHN_ROUTER", "ws://127.0.0.1:8080/ws");
  o.realm = environment_or("AUTOBAHN_REALM", "realm1");
  return o;
}

bool common_options::consume(arg_reader& in) {
  const std::string& name = in.text();
  if (name == "--url") {
    url = in.value();
    const auto parsed = wamp::parse_url(url);
    if (const auto* why = std::get_if<std::string>(&parsed)) throw usage_error("--url " + url + ": " + *why);
  } else if (name == "--realm") {
    realm = in.value();
  } else if (name == "--authid") {
    authid = in.value();
  } else if (name == "--authrole") {
    authrole = in.value();
  } else if (name == "--ticket") {
    ticket = in.value();
  } else if (name == "--secret") {
    secret = in.value();
  } else if (name == "--serializer") {
    const std::string v = in.value();
    if (v == "json") {
      serializer = wamp::serializer_kind::json;
    } else if (v == "msgpack") {
      serializer = wamp::serializer_kind::msgpack;
    } else {
      throw usage_error("--serializer must be json or msgpack, not '" + v + "'");
    }
  } else if (name == "--timeout") {
    const std::uint64_t ms = parse_count_option("--timeout", in.value());
    // Bounded so that "now + timeout" cannot overflow the clock.
    if (ms > max_timeout_ms) throw usage_error("--timeout must be at most " + std::to_string(max_timeout_ms));
    timeout = std::chrono::milliseconds(ms);
  } else {
    return false;
  }
  return true;
}

const char* const common_options_help = R"(common options:
  --url URL            router to connect to (ws://, wss://, rs://, tcp://);
                       default $AUTOBAHN_ROUTER, else ws://127.0.0.1:8080/ws
  --realm REALM        realm to join; default $AUTOBAHN_REALM, else realm1
  --authid ID          authentication id
  --authrole ROLE      requested role
  --ticket TICKET      authenticate with WAMP-Ticket
  --secret SECRET      authenticate with WAMP-CRA
  --serializer NAME    json or msgpack (default: json preferred, msgpack offered)
  --timeout MS         how long to wait for the join and for each answer (default 10000)
  --help               this text
)";

namespace {

// How deeply `text` nests brackets outside of JSON strings (a cheap bound before parsing,
// so that a hostile argument cannot recurse the serializer into a stack overflow).
int bracket_depth(const std::string& text) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

wamp::value parse_payload_value(const std::string& text) {
  if (bracket_depth(text) > max_argument_depth) {
    throw usage_error("argument nests deeper than " + std::to_string(max_argument_depth) + " levels");
  }
  wamp::value v = wamp::value::parse(text, nullptr, /*allow_exceptions=*/false);
  if (v.is_discarded()) return wamp::value(text);
  return v;
}

void add_keyword_argument(wamp::dict& kwargs, const std::string& key_value) {
  const auto equals = key_value.find('=');
  if (equals == std::string::npos || equals == 0) {
    throw usage_error("--kw expects KEY=VALUE, not '" + key_value + "'");
  }
  kwargs[key_value.substr(0, equals)] = parse_payload_value(key_value.substr(equals + 1));
}

void target_and_payload::add_positional(const std::string& text) {
  if (!uri) uri = text;
  else args.push_back(parse_payload_value(text));
}

bool target_and_payload::consume(arg_reader& in) {
  if (in.text() != "--kw") return false;
  add_keyword_argument(kwargs, in.value());
  return true;
}

std::string to_json_line(const wamp::value& v) {
  return v.dump(-1, ' ', false, wamp::value::error_handler_t::replace);
}

std::string parse_match_option(const std::string& text) {
  if (text == "exact" || text == "prefix" || text == "wildcard") return text;
  throw usage_error("--match must be exact, prefix or wildcard, not '" + text + "'");
}

std::uint64_t parse_count_option(const std::string& option, const std::string& text) {
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n == 0) {
    throw usage_error(option + " expects a positive integer, not '" + text + "'");
  }
  return n;
}

}  // namespace wamp_cli

// Reading a subcommand's command line: options (--name, --name VALUE, --name=VALUE), positional
// arguments and the "--" separator; the options every subcommand shares (--url, --realm,
// authentication, --serializer, --timeout); and payload arguments, which are JSON when they
// parse as JSON and plain strings otherwise.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "wamp/serializer.hpp"
#include "wamp/value.hpp"

namespace wamp_cli {

namespace wamp = autobahn_sync::wamp;

/// Walks the arguments of one subcommand. Throws usage_error for malformed options.
///
///   arg_reader in(args);
///   while (in.next()) {
///     if (in.is_separator()) { command = in.remaining(); break; }
///     if (!in.is_option()) positional.push_back(in.text());
///     else if (in.text() == "--kw") kw.push_back(in.value());
///   }
class arg_reader {
 public:
  explicit arg_reader(std::span<const std::string> args) : args_(args) {}

  /// Moves to the next argument; false at the end. Throws usage_error when the previous
  /// option was given an inline value (--flag=x) that nobody asked for.
  bool next();
  /// "--" (everything after it is positional, see remaining()).
  bool is_separator() const { return separator_; }
  /// An option: "--name" or "-h". Single-dash words like "-5" are positional (numbers).
  bool is_option() const { return option_; }
  /// The option's name ("--url", without "=value") or the positional argument.
  const std::string& text() const { return text_; }
  /// The option's value: after "=", else the next argument. Throws usage_error if missing.
  std::string value();
  /// The arguments after the current one (after "--", the separated command).
  std::vector<std::string> remaining();

 private:
  std::span<const std::string> args_;
  std::size_t position_ = 0;
  std::string text_;
  std::optional<std::string> inline_value_;
  bool option_ = false;
  bool separator_ = false;
};

/// Options shared by every subcommand that talks to a router.
struct common_options {
  std::string url;
  std::string realm;
  std::string authid;
  std::string authrole;
  std::string ticket;  // authenticate with "ticket"
  std::string secret;  // authenticate with "wampcra"
  std::optional<wamp::serializer_kind> serializer;  // unset: JSON preferred, MsgPack offered
  std::chrono::milliseconds timeout = std::chrono::seconds(10);

  /// Defaults, with the URL and realm from AUTOBAHN_ROUTER / AUTOBAHN_REALM when set.
  static common_options from_environment();

  /// Applies the reader's current option when it is a common one (taking its value);
  /// returns false for any other argument. Throws usage_error for a bad value.
  bool consume(arg_reader& in);
};

/// The help text of the common options (for every subcommand's --help).
extern const char* const common_options_help;

/// Deepest nesting accepted in a JSON argument (the serializers' own limit).
inline constexpr int max_argument_depth = 64;

/// A payload argument: its JSON value when `text` is valid JSON ("1", "true", "[1,2]",
/// "\"quoted\""), else the string itself. Throws usage_error when it nests too deeply.
wamp::value parse_payload_value(const std::string& text);

/// "--kw key=value": adds key and parse_payload_value(value) to `kwargs`.
/// Throws usage_error without "=" or with an empty key.
void add_keyword_argument(wamp::dict& kwargs, const std::string& key_value);

/// What call and publish send: "URI [ARGS...] [--kw KEY=VALUE]...".
struct target_and_payload {
  std::optional<std::string> uri;
  wamp::list args;
  wamp::dict kwargs;

  /// The first positional argument is the URI, the others payload values.
  void add_positional(const std::string& text);
  /// Applies "--kw KEY=VALUE"; false for any other option.
  bool consume(arg_reader& in);
};

/// One line of JSON (no newline); invalid UTF-8 in strings is replaced, never thrown.
std::string to_json_line(const wamp::value& v);

/// How `text` reads as a match policy option: "exact", "prefix" or "wildcard".
/// Throws usage_error otherwise.
std::string parse_match_option(const std::string& text);

/// A count option (--count N): a positive integer. Throws usage_error otherwise.
std::uint64_t parse_count_option(const std::string& option, const std::string& text);

}  // namespace wamp_cli

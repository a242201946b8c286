// URI validation and matching, as in the WAMP specification's "URIs" and "Pattern-based
// Subscriptions/Registrations" sections.
//
// - Rules: `loose` (components are any non-empty strings without whitespace (Unicode's, as
//   Python's \s), '.' or '#') and
//   `strict` (components of [0-9a-z_] only). Routers accept loose URIs by default.
// - Policies: `exact` URIs have no empty component; `prefix` patterns may end with one empty
//   component ("com.example." is a common Crossbar permission); `wildcard` patterns may have
//   empty components anywhere ("com..update" matches "com.foo.update").
//
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string_view>

namespace autobahn_sync::wamp {

enum class uri_rules { loose, strict };
enum class match_policy { exact, prefix, wildcard };

/// "exact", "prefix" or "wildcard" (the `match` option's values), or nullopt.
std::optional<match_policy> parse_match_policy(std::string_view text) noexcept;
/// The `match` option's spelling of a policy.
std::string_view to_string(match_policy policy) noexcept;

/// True when `uri` is valid under `rules` for use with `policy`.
bool is_valid_uri(std::string_view uri, uri_rules rules = uri_rules::loose,
                  match_policy policy = match_policy::exact) noexcept;

/// True when the concrete `uri` is matched by `pattern` under `policy`: `exact` compares the
/// strings, `prefix` tests that `uri` starts with `pattern` (string prefix, as the spec says),
/// `wildcard` compares component by component, an empty pattern component matching any one.
bool uri_matches(std::string_view pattern, match_policy policy, std::string_view uri) noexcept;

/// True for URIs in the `wamp.` namespace, which only the router may use for its own
/// procedures, topics and errors.
bool is_reserved_uri(std::string_view uri) noexcept;

}  // namespace autobahn_sync::wamp

#include "testing/message_facts.hpp"

#include <type_traits>
#include <variant>

namespace autobahn_sync::testing {

std::string_view to_string(direction d) noexcept {
  return d == direction::to_router ? "to_router" : "to_client";
}

std::string_view to_string(session_phase p) noexcept {
  switch (p) {
    case session_phase::joining: return "joining";
    case session_phase::established: return "established";
    case session_phase::closing: return "closing";
  }
  return "joining";
}

std::optional<std::string_view> uri_of(const wamp::message& msg) noexcept {
  return std::visit(
      [](const auto& m) -> std::optional<std::string_view> {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, wamp::hello>) return m.realm;
        else if constexpr (std::is_same_v<T, wamp::abort> || std::is_same_v<T, wamp::goodbye>) return m.reason;
        else if constexpr (std::is_same_v<T, wamp::error>) return m.error_uri;
        else if constexpr (std::is_same_v<T, wamp::publish> || std::is_same_v<T, wamp::subscribe>) return m.topic;
        else if constexpr (std::is_same_v<T, wamp::call> || std::is_same_v<T, wamp::register_>) return m.procedure;
        else return std::nullopt;
      },
      msg);
}

std::optional<wamp::id> request_of(const wamp::message& msg) noexcept {
  return std::visit(
      [](const auto& m) -> std::optional<wamp::id> {
        if constexpr (requires { m.request; }) return m.request;
        else return std::nullopt;
      },
      msg);
}

session_phase next_phase(session_phase before, const wamp::message& msg) noexcept {
  if (std::holds_alternative<wamp::abort>(msg) || std::holds_alternative<wamp::goodbye>(msg))
    return session_phase::closing;
  if (std::holds_alternative<wamp::welcome>(msg)) return session_phase::established;
  if (std::holds_alternative<wamp::hello>(msg)) return session_phase::joining;
  return before;
}

}  // namespace autobahn_sync::testing

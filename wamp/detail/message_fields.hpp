// The field layout of every message type, written once and used by both directions of every
// serializer: `fields(m)` gives a tuple of typed references to the fields of `m` in wire order
// (after the type code). Works for const messages (encoding) and mutable ones (decoding).
#pragma once

#include <cstddef>
#include <tuple>
#include <type_traits>

#include "wamp/message.hpp"

namespace autobahn_sync::wamp::detail {

template <class T> struct id_field { T& v; bool zero_allowed = false; };  // 1..2^53
template <class T> struct type_field { T& v; };     // a message type code (ERROR)
template <class T> struct string_field { T& v; };   // a URI or a plain string
template <class T> struct dict_field { T& v; };
template <class T> struct args_field { T& v; };     // optional trailing Arguments
template <class T> struct kwargs_field { T& v; };   // optional trailing ArgumentsKw
template <class T> struct opt_dict_field { T& v; }; // optional trailing Details

template <class T> id_field(T&) -> id_field<T>;
template <class T> id_field(T&, bool) -> id_field<T>;
template <class T> type_field(T&) -> type_field<T>;
template <class T> string_field(T&) -> string_field<T>;
template <class T> dict_field(T&) -> dict_field<T>;
template <class T> args_field(T&) -> args_field<T>;
template <class T> kwargs_field(T&) -> kwargs_field<T>;
template <class T> opt_dict_field(T&) -> opt_dict_field<T>;

template <class M, class T>
concept message_of = std::is_same_v<std::remove_const_t<M>, T>;

// clang-format off
template <message_of<hello> M> auto fields(M& m) { return std::tuple{string_field{m.realm}, dict_field{m.details}}; }
template <message_of<welcome> M> auto fields(M& m) { return std::tuple{id_field{m.session}, dict_field{m.details}}; }
template <message_of<abort> M> auto fields(M& m) { return std::tuple{dict_field{m.details}, string_field{m.reason}}; }
template <message_of<challenge> M> auto fields(M& m) { return std::tuple{string_field{m.authmethod}, dict_field{m.extra}}; }
template <message_of<authenticate> M> auto fields(M& m) { return std::tuple{string_field{m.signature}, dict_field{m.extra}}; }
template <message_of<goodbye> M> auto fields(M& m) { return std::tuple{dict_field{m.details}, string_field{m.reason}}; }
template <message_of<error> M> auto fields(M& m) { return std::tuple{type_field{m.request_type}, id_field{m.request}, dict_field{m.details}, string_field{m.error_uri}, args_field{m.args}, kwargs_field{m.kwargs}}; }
template <message_of<publish> M> auto fields(M& m) { return std::tuple{id_field{m.request}, dict_field{m.options}, string_field{m.topic}, args_field{m.args}, kwargs_field{m.kwargs}}; }
template <message_of<published> M> auto fields(M& m) { return std::tuple{id_field{m.request}, id_field{m.publication}}; }
template <message_of<subscribe> M> auto fields(M& m) { return std::tuple{id_field{m.request}, dict_field{m.options}, string_field{m.topic}}; }
template <message_of<subscribed> M> auto fields(M& m) { return std::tuple{id_field{m.request}, id_field{m.subscription}}; }
template <message_of<unsubscribe> M> auto fields(M& m) { return std::tuple{id_field{m.request}, id_field{m.subscription}}; }
// Request 0 is how a router revokes a subscription (Advanced profile).
template <message_of<unsubscribed> M> auto fields(M& m) { return std::tuple{id_field{m.request, true}, opt_dict_field{m.details}}; }
template <message_of<event> M> auto fields(M& m) { return std::tuple{id_field{m.subscription}, id_field{m.publication}, dict_field{m.details}, args_field{m.args}, kwargs_field{m.kwargs}}; }
template <message_of<call> M> auto fields(M& m) { return std::tuple{id_field{m.request}, dict_field{m.options}, string_field{m.procedure}, args_field{m.args}, kwargs_field{m.kwargs}}; }
template <message_of<cancel> M> auto fields(M& m) { return std::tuple{id_field{m.request}, dict_field{m.options}}; }
template <message_of<result> M> auto fields(M& m) { return std::tuple{id_field{m.request}, dict_field{m.details}, args_field{m.args}, kwargs_field{m.kwargs}}; }
template <message_of<register_> M> auto fields(M& m) { return std::tuple{id_field{m.request}, dict_field{m.options}, string_field{m.procedure}}; }
template <message_of<registered> M> auto fields(M& m) { return std::tuple{id_field{m.request}, id_field{m.registration}}; }
template <message_of<unregister> M> auto fields(M& m) { return std::tuple{id_field{m.request}, id_field{m.registration}}; }
template <message_of<unregistered> M> auto fields(M& m) { return std::tuple{id_field{m.request, true}, opt_dict_field{m.details}}; }
template <message_of<invocation> M> auto fields(M& m) { return std::tuple{id_field{m.request}, id_field{m.registration}, dict_field{m.details}, args_field{m.args}, kwargs_field{m.kwargs}}; }
template <message_of<interrupt> M> auto fields(M& m) { return std::tuple{id_field{m.request}, dict_field{m.options}}; }
template <message_of<yield> M> auto fields(M& m) { return std::tuple{id_field{m.request}, dict_field{m.options}, args_field{m.args}, kwargs_field{m.kwargs}}; }
// clang-format on

template <class F> struct is_optional_field : std::false_type {};
template <class T> struct is_optional_field<args_field<T>> : std::true_type {};
template <class T> struct is_optional_field<kwargs_field<T>> : std::true_type {};
template <class T> struct is_optional_field<opt_dict_field<T>> : std::true_type {};

/// How many of the fields in tuple `Fields` are optional (trailing).
template <class Fields>
constexpr std::size_t optional_count = []<std::size_t... I>(std::index_sequence<I...>) {
  return (std::size_t{0} + ... +
          (is_optional_field<std::tuple_element_t<I, Fields>>::value ? 1 : 0));
}(std::make_index_sequence<std::tuple_size_v<Fields>>{});

/// The number of fields of `m` actually written: optional trailing fields are left out when
/// they and everything after them are empty.
template <class Fields>
std::size_t written_field_count(const Fields& f) {
  std::size_t count = std::tuple_size_v<Fields>;
  bool trailing_empty = true;
  auto visit_back = [&]<std::size_t... I>(std::index_sequence<I...>) {
    // Walk from the last field backwards.
    (([&] {
       constexpr std::size_t index = sizeof...(I) - 1 - I;
       using field_type = std::tuple_element_t<index, Fields>;
       if constexpr (is_optional_field<field_type>::value) {
         if (trailing_empty && std::get<index>(f).v.empty()) {
           --count;
         } else {
           trailing_empty = false;
         }
       } else {
         trailing_empty = false;
       }
     }()),
     ...);
  };
  visit_back(std::make_index_sequence<std::tuple_size_v<Fields>>{});
  return count;
}

}  // namespace autobahn_sync::wamp::detail

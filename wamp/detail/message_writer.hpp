// `write_message(msg, writer)`: walks a message's fields in wire order and hands them to a
// format-specific writer, so each serializer encodes straight from the typed message without
// building an intermediate list value. A Writer provides:
//   begin_list(std::size_t count), end_list(),
//   integer(std::uint64_t), string(const std::string&), list(const list&), dict(const dict&).
#pragma once

#include <cstdint>
#include <tuple>
#include <variant>

#include "wamp/detail/message_fields.hpp"

namespace autobahn_sync::wamp::detail {

template <class Writer, class T> void write_field(Writer& w, const id_field<T>& f) { w.integer(f.v); }
template <class Writer, class T> void write_field(Writer& w, const type_field<T>& f) {
  w.integer(static_cast<std::uint64_t>(f.v));
}
template <class Writer, class T> void write_field(Writer& w, const string_field<T>& f) { w.string(f.v); }
template <class Writer, class T> void write_field(Writer& w, const dict_field<T>& f) { w.dict(f.v); }
template <class Writer, class T> void write_field(Writer& w, const args_field<T>& f) { w.list(f.v); }
template <class Writer, class T> void write_field(Writer& w, const kwargs_field<T>& f) { w.dict(f.v); }
template <class Writer, class T> void write_field(Writer& w, const opt_dict_field<T>& f) { w.dict(f.v); }

template <class Writer>
void write_message(const message& msg, Writer& w) {
  const auto code = static_cast<std::uint64_t>(type_of(msg));
  std::visit(
      [&](const auto& m) {
        const auto f = fields(m);
        const std::size_t count = written_field_count(f);
        w.begin_list(count + 1);
        w.integer(code);
        std::size_t index = 0;
        std::apply([&](const auto&... field) { ((index++ < count ? write_field(w, field) : void()), ...); },
                   f);
        w.end_list();
      },
      msg);
}

}  // namespace autobahn_sync::wamp::detail

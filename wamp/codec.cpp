#include "wamp/codec.hpp"

#include <array>
#include <new>
#include <string>
#include <utility>
#include <variant>

#include "wamp/detail/as_value.hpp"
#include "wamp/detail/field_slots.hpp"
#include "wamp/detail/message_fields.hpp"
#include "wamp/detail/message_writer.hpp"

namespace autobahn_sync::wamp {
namespace {

// Builds the list value of a message.
class value_writer {
 public:
  void begin_list(std::size_t count) { list_.reserve(count); }
  void end_list() {}
  void integer(std::uint64_t v) { list_.emplace_back(v); }
  void string(const std::string& v) { list_.emplace_back(v); }
  void list(const wamp::list& v) { list_.emplace_back(v); }
  void dict(const wamp::dict& v) { list_.emplace_back(v); }
  value take() { return value(std::move(list_)); }

 private:
  wamp::list list_;
};

decode_result failure(errc code, std::string detail) {
  decode_result r;
  r.error = code;
  r.detail = std::move(detail);
  return r;
}

// Reads one field from its element; returns an empty string on success, else what is wrong.
class field_reader {
 public:
  field_reader(std::string_view message_name, std::size_t position)
      : message_name_(message_name), position_(position) {}

  errc error = errc{};
  std::string detail;

  template <class T>
  void read(value& element, detail::id_field<T> f) {
    std::uint64_t v = 0;
    if (const auto u = as_unsigned(element)) {
      v = *u;
    } else if (element.is_number_integer()) {
      return fail(errc::id_out_of_range, "an id, not a negative number");
    } else if (element.is_number_float()) {
      // JavaScript peers may write integral ids as floats (e.g. 1e15); accept exact ones. Below
      // 2^53 only: there a float is the integer it reads as, while 2^53 + 1 written as a float
      // arrives as 2^53.
      const double d = element.get<double>();
      if (!(d >= 0 && d < static_cast<double>(max_id)) || d != static_cast<double>(static_cast<std::uint64_t>(d)))
        return fail(errc::id_out_of_range, "an id in 1..2^53 (as a float, below 2^53)");
      v = static_cast<std::uint64_t>(d);
    } else {
      return fail(errc::wrong_element_type, "an id (integer)");
    }
    if (v > max_id || (v == 0 && !f.zero_allowed)) return fail(errc::id_out_of_range, "an id in 1..2^53");
    f.v = v;
  }

  template <class T>
  void read(value& element, detail::type_field<T> f) {
    // Only requests can fail: SUBSCRIBE, UNSUBSCRIBE, PUBLISH, REGISTER, UNREGISTER, CALL and
    // INVOCATION.
    const auto code = as_unsigned(element).value_or(0);
    if (!detail::is_request_that_can_fail(code)) return fail(errc::wrong_element_type, "the type code of a request that can fail");
    f.v = static_cast<message_type>(code);
  }

  template <class T>
  void read(value& element, detail::string_field<T> f) {
    if (!element.is_string()) return fail(errc::wrong_element_type, "a string");
    f.v = std::move(element.get_ref<std::string&>());
  }

  template <class T>
  void read(value& element, detail::dict_field<T> f) {
    if (!element.is_object()) return fail(errc::wrong_element_type, "a dict");
    f.v = std::move(element.get_ref<dict&>());
  }

  template <class T>
  void read(value& element, detail::opt_dict_field<T> f) {
    read(element, detail::dict_field{f.v});
  }

  template <class T>
  void read(value& element, detail::args_field<T> f) {
    if (element.is_null()) return;  // tolerated as empty
    if (!element.is_array()) return fail(errc::wrong_element_type, "a list (Arguments)");
    f.v = std::move(element.get_ref<list&>());
  }

  template <class T>
  void read(value& element, detail::kwargs_field<T> f) {
    if (element.is_null()) return;  // tolerated as empty (fox-wamp sends null kwargs)
    if (!element.is_object()) return fail(errc::wrong_element_type, "a dict (ArgumentsKw)");
    f.v = std::move(element.get_ref<dict&>());
  }

 private:
  void fail(errc code, std::string_view expected) {
    error = code;
    detail = std::string(message_name_) + " element " + std::to_string(position_) +
             " must be " + std::string(expected);
  }

  std::string_view message_name_;
  std::size_t position_;
};

template <class T> detail::field_slot slot_of(detail::id_field<T> f) { return {detail::field_slot::kind::id, f.zero_allowed, &f.v}; }
template <class T> detail::field_slot slot_of(detail::type_field<T> f) { return {detail::field_slot::kind::type, false, &f.v}; }
template <class T> detail::field_slot slot_of(detail::string_field<T> f) { return {detail::field_slot::kind::string, false, &f.v}; }
template <class T> detail::field_slot slot_of(detail::dict_field<T> f) { return {detail::field_slot::kind::dict, false, &f.v}; }
template <class T> detail::field_slot slot_of(detail::opt_dict_field<T> f) { return {detail::field_slot::kind::dict, false, &f.v}; }
template <class T> detail::field_slot slot_of(detail::args_field<T> f) { return {detail::field_slot::kind::args, false, &f.v}; }
template <class T> detail::field_slot slot_of(detail::kwargs_field<T> f) { return {detail::field_slot::kind::kwargs, false, &f.v}; }

// Makes `msg` the alternative I and describes its fields.
template <std::size_t I>
void emplace_with_slots(message& msg, detail::field_slots& out) {
  auto f = detail::fields(msg.emplace<I>());
  using fields_type = decltype(f);
  out.count = std::tuple_size_v<fields_type>;
  out.required = out.count - detail::optional_count<fields_type>;
  std::apply([&](auto... field) {
    std::size_t i = 0;
    ((out.slot[i++] = slot_of(field)), ...);
  }, f);
}
template <std::size_t... I>
constexpr auto make_slot_emplacers(std::index_sequence<I...>) {
  return std::array<void (*)(message&, detail::field_slots&), sizeof...(I)>{&emplace_with_slots<I>...};
}
constexpr auto slot_emplacers = make_slot_emplacers(std::make_index_sequence<std::variant_size_v<message>>{});

// The variant index of each type code's alternative (-1: none), found once, not by trying
// the alternatives one by one at every message.
int alternative_of(std::uint64_t code) {
  static const auto alternative_of_code = [] {
    std::array<int, 256> table;
    table.fill(-1);
    for (std::size_t i = 0; i < slot_emplacers.size(); ++i) {
      message m;
      detail::field_slots unused;
      slot_emplacers[i](m, unused);
      table[static_cast<std::size_t>(type_of(m))] = static_cast<int>(i);
    }
    return table;
  }();
  return code < alternative_of_code.size() ? alternative_of_code[code] : -1;
}

}  // namespace

value to_value(const message& msg) {
  value_writer writer;
  detail::write_message(msg, writer);
  return writer.take();
}

decode_result from_value(value&& list_value) noexcept {
  try {
    if (!list_value.is_array()) return failure(errc::not_a_list, "a message must be a list");
    // Out of the value first: nlohmann's destructor of a non-empty list moves its elements to
    // a stack it allocates (to destroy deep values without recursion), a plain list does not.
    list elements = std::move(list_value.get_ref<list&>());
    if (elements.empty()) return failure(errc::wrong_arity, "a message list must not be empty");
    const value& code = elements[0];
    if (!code.is_number_integer()) {
      return failure(errc::unknown_message_type, "the first element must be a message type code");
    }
    const std::int64_t type_code = code.get<std::int64_t>();
    decode_result result;
    detail::field_slots unused;
    if (type_code < 0 || !detail::emplace_message(result.msg, static_cast<std::uint64_t>(type_code), unused)) {
      return failure(errc::unknown_message_type,
                     "unknown message type code " + std::to_string(type_code));
    }
    const std::string_view name = name_of(static_cast<message_type>(type_code));
    std::visit(
        [&](auto& m) {
          auto f = detail::fields(m);
          using fields_type = decltype(f);
          constexpr std::size_t all = std::tuple_size_v<fields_type>;
          constexpr std::size_t required = all - detail::optional_count<fields_type>;
          const std::size_t given = elements.size() - 1;
          if (given < required || given > all) {
            result.error = errc::wrong_arity;
            result.detail = std::string(name) + " has " + std::to_string(elements.size()) +
                            " elements; it takes " + std::to_string(required + 1) +
                            (all > required ? " to " + std::to_string(all + 1) : std::string());
            return;
          }
          std::size_t index = 0;
          std::apply(
              [&](auto... field) {
                auto read_one = [&](auto field_ref) {
                  if (result.error || index >= given) return;
                  ++index;
                  field_reader reader(name, index);
                  reader.read(elements[index], field_ref);
                  if (reader.error != errc{}) {
                    result.error = reader.error;
                    result.detail = std::move(reader.detail);
                  }
                };
                (read_one(field), ...);
              },
              f);
        },
        result.msg);
    return result;
  } catch (const std::bad_alloc&) {
    return failure(errc::message_too_large, "out of memory while decoding");
  } catch (const std::exception& e) {
    return failure(errc::malformed, e.what());
  }
}

namespace detail {

decode_result too_large_to_decode(std::size_t size, std::size_t limit) {
  return failure(errc::message_too_large, std::to_string(size) + " bytes is over the limit of " + std::to_string(limit));
}

bool is_request_that_can_fail(std::uint64_t code) {
  if (code > 255) return false;  // checked before the cast: 2^32 + 48 would pass for CALL
  switch (static_cast<message_type>(code)) {
    case message_type::subscribe:
    case message_type::unsubscribe:
    case message_type::publish:
    case message_type::register_:
    case message_type::unregister:
    case message_type::call:
    case message_type::invocation:
      return true;
    default:
      return false;
  }
}

bool emplace_message(message& msg, std::uint64_t type_code, field_slots& out) {
  if (type_code > 255 || !is_known_message_type(static_cast<std::int64_t>(type_code))) return false;
  const int alternative = alternative_of(type_code);
  if (alternative < 0) return false;
  slot_emplacers[static_cast<std::size_t>(alternative)](msg, out);
  return true;
}

}  // namespace detail
}  // namespace autobahn_sync::wamp

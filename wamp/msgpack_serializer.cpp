// The MsgPack serializer (`wamp.2.msgpack`): strings as `str`, binary as `bin`. Encoding packs
// straight from the typed message; decoding builds values straight from msgpack-c's parser
// (its visitor interface), under the depth limit.
#include <algorithm>
#include <cstdint>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include <boost/container/small_vector.hpp>
#include <msgpack.hpp>

#include "wamp/codec.hpp"
#include "wamp/detail/decoded_size.hpp"
#include "wamp/detail/field_slots.hpp"
#include "wamp/detail/message_writer.hpp"
#include "wamp/detail/as_value.hpp"
#include "wamp/serializer.hpp"
#include "wamp/utf8.hpp"

namespace autobahn_sync::wamp {
namespace {

// msgpack-c's packer writes to anything with write(const char*, size_t).
struct string_sink {
  std::string& out;
  void write(const char* data, std::size_t size) { out.append(data, size); }
};

struct invalid_utf8_string {};

class msgpack_writer {
 public:
  explicit msgpack_writer(std::string& out) : sink_{out}, packer_(sink_) {}

  void begin_list(std::size_t count) { packer_.pack_array(static_cast<std::uint32_t>(count)); }
  void end_list() {}
  void integer(std::uint64_t v) { packer_.pack_uint64(v); }
  void string(const std::string& v) { pack_string(v); }
  void list(const wamp::list& v) {
    packer_.pack_array(static_cast<std::uint32_t>(v.size()));
    for (const auto& e : v) pack(e);
  }
  void dict(const wamp::dict& v) {
    packer_.pack_map(static_cast<std::uint32_t>(v.size()));
    for (const auto& [k, e] : v) {
      pack_string(k);
      pack(e);
    }
  }

 private:
  void pack_string(const std::string& s) {
    if (!is_valid_utf8(s)) throw invalid_utf8_string{};
    packer_.pack_str(static_cast<std::uint32_t>(s.size()));
    packer_.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
  }

  void pack(const value& v) {
    switch (v.type()) {
      case value::value_t::null:
      case value::value_t::discarded: packer_.pack_nil(); break;
      case value::value_t::boolean: v.get<bool>() ? packer_.pack_true() : packer_.pack_false(); break;
      case value::value_t::number_integer: packer_.pack_int64(v.get<std::int64_t>()); break;
      case value::value_t::number_unsigned: packer_.pack_uint64(v.get<std::uint64_t>()); break;
      case value::value_t::number_float: packer_.pack_double(v.get<double>()); break;
      case value::value_t::string: pack_string(v.get_ref<const std::string&>()); break;
      case value::value_t::binary: {
        const auto& bytes = v.get_binary();
        packer_.pack_bin(static_cast<std::uint32_t>(bytes.size()));
        packer_.pack_bin_body(reinterpret_cast<const char*>(bytes.data()),
                              static_cast<std::uint32_t>(bytes.size()));
        break;
      }
      case value::value_t::array: list(v.get_ref<const wamp::list&>()); break;
      case value::value_t::object: dict(v.get_ref<const wamp::dict&>()); break;
    }
  }

  string_sink sink_;
  msgpack::packer<string_sink> packer_;
};

// Builds the value straight from msgpack-c's parser (its visitor interface), with no
// msgpack::object tree in between, and each value in its final place: a container is filled
// where it will stay (the element or dict entry its parent made for it), never moved into
// its parent when complete. Each callback returns false to stop the parse at the first
// problem, which `error` and `detail` then describe.
//
// Built `into_message`, the root must be a message's list, and its elements go straight
// into the fields of `msg` (field_slots.hpp): a string, list or dict field is filled as
// itself, with none of the allocations of a value holding it. Only what a message usually
// looks like is read that way; anything else (a malformed message, a float id, a limit
// passed) stops the build with read_message() false, and the caller reads the input again
// as a value, which from_value() then checks and explains. Both ways count the same sizes
// in the same order, so a message read this way passes the limits the other way too.
class value_builder {
 public:
  value_builder(const decode_limits& limits, std::size_t input_size, bool into_message = false)
      : into_message_(into_message), max_depth_(limits.max_depth), input_size_(input_size),
        size_(limits.max_decoded_size) {}

  value result;  // the root, unless into_message
  message msg;   // into_message: the message, once read_message()
  errc error = errc{};
  std::string detail;

  /// into_message: whether the whole input was read into `msg`.
  bool read_message() const { return envelope_done_ && !gave_up_ && error == errc{}; }

  bool visit_nil() {
    if (!size_.scalar()) return too_large();
    if (at_field()) return field_slot_is(kind::args) || field_slot_is(kind::kwargs) || give_up();  // left empty
    return put(nullptr);
  }
  bool visit_boolean(bool v) { return !size_.scalar() ? too_large() : at_field() ? give_up() : put(v); }
  bool visit_positive_integer(std::uint64_t v) {
    return !size_.scalar() ? too_large() : at_field() ? field_integer(v) : put(v);
  }
  bool visit_negative_integer(std::int64_t v) {
    // msgpack-c reports every signed format here, also a non-negative value in one.
    if (!size_.scalar()) return too_large();
    if (at_field()) return v >= 0 ? field_integer(static_cast<std::uint64_t>(v)) : give_up();
    return put(v);
  }
  bool visit_float32(float v) { return !size_.scalar() ? too_large() : at_field() ? give_up() : put(static_cast<double>(v)); }
  bool visit_float64(double v) { return !size_.scalar() ? too_large() : at_field() ? give_up() : put(v); }
  bool visit_str(const char* data, std::uint32_t size) {
    const std::string_view text(data, size);
    if (!is_valid_utf8(text)) return fail(errc::invalid_utf8, in_key_ ? "a dict key is not valid UTF-8" : "a str value is not valid UTF-8");
    if (in_key_) {
      if (!size_.dict_entry(size)) return too_large();
      key_.assign(text);
      return true;
    }
    if (!size_.string(size)) return too_large();
    if (at_field()) {
      if (!field_slot_is(kind::string)) return give_up();
      static_cast<std::string*>(field().target)->assign(text);
      return true;
    }
    *slot_ = value::string_t(text);
    return true;
  }
  bool visit_bin(const char* data, std::uint32_t size) {
    if (!size_.binary(size)) return too_large();
    if (in_key_) return not_a_key();
    if (at_field()) return give_up();
    const auto* p = reinterpret_cast<const std::uint8_t*>(data);
    *slot_ = value::binary(binary::container_type(p, p + size));
    return true;
  }
  bool visit_ext(const char*, std::uint32_t) { return fail(errc::wrong_element_type, "MsgPack ext values are not WAMP values"); }

  bool start_array(std::uint32_t count) {
    if (!size_.list()) return too_large();
    if (!can_open()) return false;
    list* l;
    if (into_message_ && open_.empty()) {
      l = nullptr;  // the message's list: its elements are fields
    } else if (at_field()) {
      if (!field_slot_is(kind::args)) return give_up();
      l = static_cast<list*>(field().target);
    } else {
      *slot_ = value::array();
      l = &slot_->get_ref<list&>();
    }
    // Room for what the header announces, up to one element per input byte and a few
    // thousand: a forged count (nested lists each announcing millions) must not reserve
    // more than the message could fill, nor much that size_ does not count.
    if (l) l->reserve(std::min<std::size_t>({count, input_size_, 4096}));
    open_.push_back({l, nullptr});
    return true;
  }
  bool start_array_item() {
    if (at_envelope()) {
      // Element 0 is the type code; element k > 0 goes into field k - 1.
      ++elements_;
      return elements_ == 1 || elements_ - 2 < slots_.count || give_up();
    }
    slot_ = &open_.back().l->emplace_back();
    return true;
  }
  bool end_array_item() { return true; }
  bool end_array() {
    if (at_envelope()) {
      if (elements_ == 0 || elements_ - 1 < slots_.required) return give_up();
      envelope_done_ = true;
    }
    open_.pop_back();
    return true;
  }
  bool start_map(std::uint32_t) {
    if (!size_.dict()) return too_large();
    if (!can_open()) return false;
    dict* d;
    if (into_message_ && open_.empty()) {
      return give_up();  // not a list: from_value says so
    } else if (at_field()) {
      if (!field_slot_is(kind::dict) && !field_slot_is(kind::kwargs)) return give_up();
      d = static_cast<dict*>(field().target);
    } else {
      *slot_ = value::object();
      d = &slot_->get_ref<dict&>();
    }
    open_.push_back({nullptr, d});
    return true;
  }
  bool start_map_key() {
    in_key_ = true;
    return true;
  }
  bool end_map_key() {
    in_key_ = false;
    return true;
  }
  bool start_map_value() {
    // A duplicate key: the last one wins.
    slot_ = &((*open_.back().d)[std::move(key_)] = nullptr);
    return true;
  }
  bool end_map_value() { return true; }
  bool end_map() {
    open_.pop_back();
    return true;
  }

  void parse_error(std::size_t, std::size_t error_offset) {
    if (error == errc{}) fail(errc::malformed, "not valid MsgPack at byte " + std::to_string(error_offset));
  }
  void insufficient_bytes(std::size_t, std::size_t) {
    if (error == errc{}) fail(errc::malformed, "the MsgPack data ends in the middle of a value");
  }
  bool referenced() const { return false; }
  void set_referenced(bool) {}

 private:
  using kind = detail::field_slot::kind;

  bool fail(errc code, std::string why) {
    error = code;
    detail = std::move(why);
    return false;
  }
  bool not_a_key() { return fail(errc::wrong_element_type, "a dict key is not a string"); }
  bool too_large() {
    return fail(errc::decoded_too_large, detail::decoded_too_large_detail(size_.limit()));
  }
  bool give_up() {
    gave_up_ = true;
    return false;
  }

  // A scalar goes where the next value goes (set by start_array_item or start_map_value).
  template <class T>
  bool put(T&& v) {
    if (in_key_) return not_a_key();
    *slot_ = std::forward<T>(v);
    return true;
  }
  bool can_open() {
    if (in_key_) return not_a_key();
    if (static_cast<int>(open_.size()) >= max_depth_)
      return fail(errc::nesting_too_deep, "values nest deeper than " + std::to_string(max_depth_));
    return true;
  }

  // Inside the message's own list (into_message), where each value is a field.
  bool at_envelope() const { return into_message_ && open_.size() == 1; }
  bool at_field() const { return at_envelope() && !in_key_; }
  const detail::field_slot& field() const { return slots_.slot[elements_ - 2]; }
  bool field_slot_is(kind k) const { return elements_ >= 2 && field().what == k; }
  bool field_integer(std::uint64_t v) {
    if (elements_ == 1) return detail::emplace_message(msg, v, slots_) || give_up();
    if (field_slot_is(kind::type) && detail::is_request_that_can_fail(v)) {
      *static_cast<message_type*>(field().target) = static_cast<message_type>(v);
      return true;
    }
    if (!field_slot_is(kind::id) || v > max_id || (v == 0 && !field().zero_allowed)) return give_up();
    *static_cast<id*>(field().target) = v;
    return true;
  }

  // An open container: a list or a dict, each a value's or a message field's; neither for
  // the message's own list.
  struct open_container {
    list* l;
    dict* d;
  };

  bool into_message_;
  int max_depth_;
  std::size_t input_size_;
  detail::decoded_size size_;
  value* slot_ = &result;  // where the next value goes
  // Messages nest a few levels: no allocation for the stack of open containers.
  boost::container::small_vector<open_container, 8> open_;
  std::string key_;      // the key of the dict entry being read
  bool in_key_ = false;  // between start_map_key and end_map_key: only a str may come
  // into_message:
  detail::field_slots slots_;   // the fields of msg, once its type code is read
  std::size_t elements_ = 0;    // of the message's list, begun so far
  bool envelope_done_ = false;  // the message's list is complete
  bool gave_up_ = false;        // not read into msg: read it as a value instead
};

class msgpack_serializer_impl final : public serializer {
 public:
  serializer_kind kind() const noexcept override { return serializer_kind::msgpack; }
  std::string_view subprotocol() const noexcept override { return "wamp.2.msgpack"; }
  bool is_binary() const noexcept override { return true; }

  boost::system::error_code encode(const message& msg, std::string& out,
                                   std::size_t max_size) const override {
    out.clear();
    try {
      msgpack_writer writer(out);
      detail::write_message(msg, writer);
    } catch (const invalid_utf8_string&) {
      out.clear();
      return errc::invalid_utf8;
    }
    if (out.size() > max_size) {
      out.clear();
      return errc::message_too_large;
    }
    return {};
  }

  decode_result decode(std::string_view bytes, const decode_limits& limits) const noexcept override {
    return detail::decode_either_way(bytes, limits, detail::read_msgpack_message, detail::decode_msgpack_as_value);
  }
};

}  // namespace

namespace detail {

bool read_msgpack_message(std::string_view bytes, const decode_limits& limits, message& msg) {
  if (bytes.empty()) return false;
  value_builder fields(limits, bytes.size(), true);
  std::size_t offset = 0;
  if (!msgpack::v2::parse(bytes.data(), bytes.size(), offset, fields) || offset != bytes.size() ||
      !fields.read_message()) {
    return false;
  }
  msg = std::move(fields.msg);
  return true;
}

decode_result decode_msgpack_as_value(std::string_view bytes, const decode_limits& limits) noexcept {
  decode_result failed;
  try {
    if (bytes.size() > limits.max_message_size) return too_large_to_decode(bytes.size(), limits.max_message_size);
    if (bytes.empty()) {
      failed.error = errc::malformed;
      failed.detail = "no MsgPack data";
      return failed;
    }
    value_builder builder(limits, bytes.size());
    std::size_t offset = 0;
    if (!msgpack::v2::parse(bytes.data(), bytes.size(), offset, builder) || builder.error != errc{}) {
      failed.error = builder.error != errc{} ? builder.error : errc::malformed;
      failed.detail = builder.detail.empty() ? "not valid MsgPack" : builder.detail;
      return failed;
    }
    if (offset != bytes.size()) {
      failed.error = errc::malformed;
      failed.detail = std::to_string(bytes.size() - offset) + " bytes after the message";
      return failed;
    }
    return from_value(std::move(builder.result));
  } catch (const std::bad_alloc&) {
    failed.error = errc::message_too_large;
    failed.detail = "out of memory while decoding";
  } catch (const std::exception& e) {
    failed.error = errc::malformed;
    failed.detail = std::string("not valid MsgPack: ") + e.what();
  }
  return failed;
}

}  // namespace detail

const serializer& msgpack_serializer() noexcept {
  static const msgpack_serializer_impl instance;
  return instance;
}

}  // namespace autobahn_sync::wamp

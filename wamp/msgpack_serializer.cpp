// The MsgPack serializer (`wamp.2.msgpack`): strings as `str`, binary as `bin`. Encoding packs
// straight from the typed message; decoding unpacks with msgpack-c under limits derived from
// the input size (no element count can exceed the bytes present) and converts to values.
#include <new>
#include <string>

#include <msgpack.hpp>

#include "wamp/codec.hpp"
#include "wamp/detail/message_writer.hpp"
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

struct conversion_error {
  errc code;
  std::string detail;
};

// msgpack-c object -> value. Depth is already bounded by unpack_limit.
value to_value(const msgpack::object& o) {
  switch (o.type) {
    case msgpack::type::NIL: return nullptr;
    case msgpack::type::BOOLEAN: return o.via.boolean;
    case msgpack::type::POSITIVE_INTEGER: return o.via.u64;
    case msgpack::type::NEGATIVE_INTEGER: return o.via.i64;
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: return o.via.f64;
    case msgpack::type::STR: {
      std::string_view s(o.via.str.ptr, o.via.str.size);
      if (!is_valid_utf8(s)) throw conversion_error{errc::invalid_utf8, "a str value is not valid UTF-8"};
      return std::string(s);
    }
    case msgpack::type::BIN: {
      const auto* p = reinterpret_cast<const std::uint8_t*>(o.via.bin.ptr);
      return value::binary(binary::container_type(p, p + o.via.bin.size));
    }
    case msgpack::type::ARRAY: {
      list out;
      out.reserve(o.via.array.size);
      for (std::uint32_t i = 0; i < o.via.array.size; ++i) out.push_back(to_value(o.via.array.ptr[i]));
      return out;
    }
    case msgpack::type::MAP: {
      dict out;
      for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
        const auto& kv = o.via.map.ptr[i];
        if (kv.key.type != msgpack::type::STR)
          throw conversion_error{errc::wrong_element_type, "a dict key is not a string"};
        std::string_view key(kv.key.via.str.ptr, kv.key.via.str.size);
        if (!is_valid_utf8(key)) throw conversion_error{errc::invalid_utf8, "a dict key is not valid UTF-8"};
        out.insert_or_assign(std::string(key), to_value(kv.val));
      }
      return out;
    }
    case msgpack::type::EXT:
    default: throw conversion_error{errc::wrong_element_type, "MsgPack ext values are not WAMP values"};
  }
}

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
    decode_result failed;
    try {
      if (bytes.size() > limits.max_message_size) {
        failed.error = errc::message_too_large;
        failed.detail = std::to_string(bytes.size()) + " bytes is over the limit of " +
                        std::to_string(limits.max_message_size);
        return failed;
      }
      // Every element takes at least one byte, so no honest count exceeds the input size; this
      // keeps a forged array header from reserving gigabytes.
      const auto count_limit = static_cast<std::size_t>(bytes.size());
      const msgpack::unpack_limit unpack_limits(count_limit, count_limit, bytes.size(),
                                                bytes.size(), bytes.size(),
                                                static_cast<std::size_t>(limits.max_depth));
      std::size_t offset = 0;
      msgpack::object_handle handle =
          msgpack::unpack(bytes.data(), bytes.size(), offset, nullptr, nullptr, unpack_limits);
      if (offset != bytes.size()) {
        failed.error = errc::malformed;
        failed.detail = std::to_string(bytes.size() - offset) + " bytes after the message";
        return failed;
      }
      return from_value(to_value(handle.get()));
    } catch (const conversion_error& e) {
      failed.error = e.code;
      failed.detail = e.detail;
    } catch (const msgpack::depth_size_overflow&) {
      failed.error = errc::nesting_too_deep;
      failed.detail = "values nest deeper than " + std::to_string(limits.max_depth);
    } catch (const msgpack::size_overflow& e) {
      failed.error = errc::malformed;
      failed.detail = std::string("a length is larger than the message: ") + e.what();
    } catch (const msgpack::insufficient_bytes&) {
      failed.error = errc::malformed;
      failed.detail = "the MsgPack data ends in the middle of a value";
    } catch (const std::bad_alloc&) {
      failed.error = errc::message_too_large;
      failed.detail = "out of memory while decoding";
    } catch (const std::exception& e) {
      failed.error = errc::malformed;
      failed.detail = std::string("not valid MsgPack: ") + e.what();
    }
    return failed;
  }
};

}  // namespace

const serializer& msgpack_serializer() noexcept {
  static const msgpack_serializer_impl instance;
  return instance;
}

}  // namespace autobahn_sync::wamp

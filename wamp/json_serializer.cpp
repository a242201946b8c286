// The JSON serializer (`wamp.2.json`). Binary payload values travel as strings holding a NUL
// character followed by the base64 of the bytes, as the specification's "Binary conversion of
// JSON Strings" says; any received string starting with NUL is turned back into binary. The
// text itself is read and written by wamp/detail/json_text.hpp.
#include <new>
#include <string>
#include <string_view>
#include <utility>

#include "wamp/codec.hpp"
#include "wamp/detail/as_value.hpp"
#include "wamp/detail/json_text.hpp"
#include "wamp/detail/message_writer.hpp"
#include "wamp/serializer.hpp"

namespace autobahn_sync::wamp {
namespace {

// The writer detail::write_message drives: JSON text appended to a string.
class json_writer {
 public:
  explicit json_writer(std::string& out) : out_(out) {}

  void begin_list(std::size_t) { out_.push_back('['); first_ = true; }
  void end_list() { out_.push_back(']'); }
  void integer(std::uint64_t v) {
    separate();
    detail::append_json(value(v), out_);
  }
  void string(const std::string& v) {
    separate();
    detail::append_json_text(v, out_);
  }
  void list(const wamp::list& v) {
    separate();
    detail::append_json_list(v, out_);
  }
  void dict(const wamp::dict& v) {
    separate();
    detail::append_json_dict(v, out_);
  }

 private:
  void separate() {
    if (!first_) out_.push_back(',');
    first_ = false;
  }

  std::string& out_;
  bool first_ = true;
};

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
    } catch (const detail::invalid_utf8_in_json&) {
      out.clear();
      return errc::invalid_utf8;
    } catch (const detail::unrepresentable_in_json&) {
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
    return detail::decode_either_way(bytes, limits, detail::read_json_message, detail::decode_json_as_value);
  }
};

}  // namespace

namespace detail {

decode_result decode_json_as_value(std::string_view text, const decode_limits& limits) noexcept {
  decode_result failed;
  try {
    if (text.size() > limits.max_message_size) return too_large_to_decode(text.size(), limits.max_message_size);
    auto read = read_json(text, limits);
    if (read.error != errc{}) {
      failed.error = read.error;
      failed.detail = std::move(read.detail);
      return failed;
    }
    return from_value(std::move(read.parsed));
  } catch (const std::bad_alloc&) {
    failed.error = errc::message_too_large;
    failed.detail = "out of memory while decoding";
  } catch (const std::exception& e) {
    failed.error = errc::malformed;
    failed.detail = e.what();
  }
  return failed;
}

}  // namespace detail

const serializer& json_serializer() noexcept {
  static const json_serializer_impl instance;
  return instance;
}

}  // namespace autobahn_sync::wamp

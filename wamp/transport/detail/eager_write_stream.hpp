#pragma once
// The layer between a plain WebSocket (Beast) and its TCP stream. Reads pass through. A write
// is first tried at once, non-blocking, on the thread that starts it, and when the socket
// takes bytes the write completes there and then, inside the call that started it. Asio would
// finish it by a completion posted to the I/O thread, which wakes that thread when the writer
// is another one: a client's caller sending its CALL, a callee's handler thread its YIELD.
// RawSocket writes at once for the same reason (rawsocket.cpp, write_directly).
//
// Only writes started inside eagerly() are tried at once: the connection wraps the writes of
// its own messages in it. Beast's own frames (pongs, close frames) go the asynchronous way:
// Beast resumes a read after writing its pong as if the write had completed asynchronously, and
// would deliver a message it holds in its buffer from inside the call that started the read.
// Everything passes through this one layer, so what is written never interleaves: a write
// completes inline only once the socket took its bytes, and a write the socket does not take
// (it is full, or failed) goes the asynchronous way, after which Beast starts no other write
// until it completes.
#include <cstddef>
#include <utility>

#include <boost/asio/async_result.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/teardown.hpp>

namespace autobahn_sync::wamp::detail {

class eager_write_stream {
 public:
  using next_layer_type = boost::beast::tcp_stream;
  using executor_type = next_layer_type::executor_type;

  template <class... Args>
  explicit eager_write_stream(Args&&... args) : next_(std::forward<Args>(args)...) {}

  executor_type get_executor() noexcept { return next_.get_executor(); }
  next_layer_type& next_layer() noexcept { return next_; }
  const next_layer_type& next_layer() const noexcept { return next_; }

  template <class MutableBuffers, class ReadHandler>
  auto async_read_some(const MutableBuffers& buffers, ReadHandler&& handler) {
    return next_.async_read_some(buffers, std::forward<ReadHandler>(handler));
  }

  /// Runs `start`, which starts a write of the connection's own; writes started meanwhile may
  /// complete inline, before `start` returns.
  template <class Start>
  void eagerly(Start&& start) {
    const restore_on_exit restore(eager_);
    eager_ = true;
    start();
  }

  template <class ConstBuffers, class WriteHandler>
  auto async_write_some(const ConstBuffers& buffers, WriteHandler&& handler) {
    return boost::asio::async_initiate<WriteHandler, void(boost::system::error_code, std::size_t)>(
        [this](auto completion, const ConstBuffers& bytes) {
          const std::size_t n = write_now(bytes);
          if (n == 0) return next_.async_write_some(bytes, std::move(completion));
          // A completion may start the next write (Beast's next frame, the connection's next
          // message): nesting is bounded, deeper writes go the asynchronous way.
          const restore_on_exit restore(inline_depth());
          ++inline_depth();
          completion(boost::system::error_code(), n);
        },
        handler, buffers);
  }

 private:
  static constexpr int max_inline_depth = 8;

  // Puts a variable back as it was when the scope ends (a handler may throw).
  template <class T>
  class restore_on_exit {
   public:
    explicit restore_on_exit(T& variable) : variable_(variable), saved_(variable) {}
    ~restore_on_exit() { variable_ = saved_; }
    restore_on_exit(const restore_on_exit&) = delete;
    restore_on_exit& operator=(const restore_on_exit&) = delete;

   private:
    T& variable_;
    T saved_;
  };

  // Per thread: how deep this thread is in completions run inline.
  static int& inline_depth() {
    thread_local int depth = 0;
    return depth;
  }

  // What the socket took at once; 0 when it took nothing or failed (the asynchronous write
  // then reports why), outside eagerly(), or when completions are nested too deep already.
  template <class ConstBuffers>
  std::size_t write_now(const ConstBuffers& bytes) {
    if (!eager_ || inline_depth() >= max_inline_depth) return 0;
    auto& socket = next_.socket();
    boost::system::error_code ec;
    if (!socket.non_blocking()) socket.non_blocking(true, ec);
    if (ec) return 0;
    const std::size_t n = socket.write_some(bytes, ec);
    return ec ? 0 : n;
  }

  next_layer_type next_;
  bool eager_ = false;
};

// Beast's closing handshake ends by tearing down the TCP stream under this layer.
template <class TeardownHandler>
void async_teardown(boost::beast::role_type role, eager_write_stream& stream, TeardownHandler&& handler) {
  using boost::beast::websocket::async_teardown;
  async_teardown(role, stream.next_layer(), std::forward<TeardownHandler>(handler));
}

}  // namespace autobahn_sync::wamp::detail

// `router`: the embeddable WAMP router. The sans-I/O core (router_core.hpp) under a thin Asio
// layer: connections of any transport are attached to it, listeners accept RawSocket and
// WebSocket clients, and in-process clients connect with no socket at all.
//
//   autobahn_sync::router::router r;                  // its own I/O thread
//   r.add_realm({"realm1"});
//   auto port = r.listen_websocket("127.0.0.1", 0);   // ephemeral port
//   auto conn = r.connect_inprocess(client_executor); // or an in-process client
//
// Thread safety: every public member may be called from any thread; calls that return a
// result block until the router's thread has done the work (or run inline when called from
// that thread, e.g. from an authenticator). The core runs on one strand, so the router is
// deterministic for a given order of incoming messages.
#pragma once

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include "router/config.hpp"
#include "router/router_core.hpp"
#include "wamp/transport/connection.hpp"
#include "wamp/transport/gated_executor.hpp"
#include "wamp/transport/tls_config.hpp"

namespace autobahn_sync::router {

struct router_options {
  /// Seed, clock, wall clock and randomness of the core (see core_options). With a custom
  /// clock no real timers are armed: call expire() after moving the clock.
  core_options core;
  /// Limits of every connection the router makes or accepts.
  wamp::transport_options transport;
  /// How a blocking call (with_core() and the calls built on it) waits for the router's
  /// executor when called from another thread. Empty: it blocks until the work is done.
  /// Set (a simulation, whose single thread is the caller's): called with `done`; it must
  /// run the executor until done() holds.
  std::function<void(const std::function<bool()>& done)> wait;
  /// A test hook for RawSocket listeners (see rawsocket_listener_options::refuse_handshake):
  /// a result of 1..4 refuses a client's handshake with that error code. Empty: none.
  std::function<int()> refuse_rawsocket_handshake;
  /// A test hook for listeners: each connection a listener accepted passes through it before
  /// the router serves it, and the router serves what it returns (a decorator on the same
  /// executor, e.g. the testing framework's router end of a socket, which slices the router's
  /// writes). Empty: served as accepted.
  std::function<wamp::connection_ptr(wamp::connection_ptr)> wrap_accepted;
  /// A router on its own I/O thread: after handling anything, that thread keeps polling its
  /// connections for this long before it sleeps (router/busy_poll.hpp). A message arriving
  /// meanwhile (the callee's YIELD a few tens of microseconds after the INVOCATION went out)
  /// is read without waking the thread: a call's p50 over loopback drops by about half on a
  /// small VM, at the price of a core busy for up to this long after every burst of work.
  /// 0 (the default): sleep at once. Ignored for a router on the caller's io_context.
  std::chrono::microseconds busy_poll{0};
};

class router {
 public:
  /// A strand inside a gate (wamp/transport/gated_executor.hpp). With its own I/O thread the
  /// router accepts in-process messages delivered on the sending client's thread when it is
  /// idle, so a call between in-process clients need not wake the router's thread.
  using executor_type = wamp::gated_executor;

  /// A router running on its own I/O thread, started at once.
  explicit router(router_config config = {}, router_options options = {});
  /// A router on an io_context the caller runs (on any number of threads).
  router(boost::asio::io_context& io, router_config config = {}, router_options options = {});
  /// Stops the router (see stop()).
  ~router();

  router(const router&) = delete;
  router& operator=(const router&) = delete;

  executor_type get_executor() const;

  /// Adds a realm. Throws config_error if it exists.
  void add_realm(realm_config config);
  /// Removes a realm; its sessions get GOODBYE wamp.close.close_realm.
  bool remove_realm(const std::string& name);
  /// Installs a dynamic authenticator / authorizer on a realm (nullptr: the config's).
  void set_authenticator(const std::string& realm, std::shared_ptr<authenticator> a);
  void set_authorizer(const std::string& realm, authorizer_fn f);

  /// Serves a connection of any transport (it must use this router's executor). `auth`
  /// replaces the realms' authentication for it (Crossbar's per-transport auth), or null.
  void attach(wamp::connection_ptr connection, std::shared_ptr<const transport_auth> auth = nullptr);

  /// A client end of an in-process connection served by this router. The client end runs on
  /// `client_executor`; `s` is the serializer both ends use (nullptr: none).
  wamp::connection_ptr connect_inprocess(wamp::connection::executor_type client_executor,
                                         const wamp::serializer* s = &wamp::json_serializer());

  /// Listens for RawSocket clients; returns the bound port (port 0 picks a free one).
  /// Throws boost::system::system_error when the address cannot be bound.
  unsigned short listen_rawsocket(const std::string& host = "127.0.0.1", unsigned short port = 0,
                                  std::shared_ptr<const transport_auth> auth = nullptr);
  /// Listens for WebSocket clients on `path`; returns the bound port.
  unsigned short listen_websocket(const std::string& host = "127.0.0.1", unsigned short port = 0,
                                  const std::string& path = "/ws");
  /// One WebSocket path of a listener and its own authentication (null: the realms').
  using websocket_path = listener_path;
  /// Listens for WebSocket clients on several paths; returns the bound port.
  unsigned short listen_websocket(const std::string& host, unsigned short port, std::vector<websocket_path> paths);
  /// Listens as a configured listener says (websocket with its paths, or rawsocket);
  /// returns the bound port.
  unsigned short listen(const listener_config& listener);

  /// The same listeners over TLS (rss:// and wss://), presenting `tls`'s certificate; plain
  /// clients are dropped during the handshake. Throws std::invalid_argument, saying why, for
  /// a certificate or key that cannot be used (see wamp/transport/tls.hpp).
  unsigned short listen_rawsocket(const std::string& host, unsigned short port,
                                  std::shared_ptr<const transport_auth> auth, const wamp::tls_server_config& tls);
  unsigned short listen_websocket(const std::string& host, unsigned short port, const std::string& path,
                                  const wamp::tls_server_config& tls);
  unsigned short listen_websocket(const std::string& host, unsigned short port, std::vector<websocket_path> paths,
                                  const wamp::tls_server_config& tls);

  /// Runs `f(core)` on the router's thread and returns its result: for introspection
  /// (session counts, registrations) and for driving the core in tests.
  template <class F>
  auto with_core(F&& f) -> std::invoke_result_t<F, router_core&>;

  /// Ends calls whose timeout passed (needed only with a custom clock).
  void expire();

  /// Says GOODBYE wamp.close.system_shutdown to every session, closes every connection and
  /// listener, and (when it owns it) joins the I/O thread. Idempotent.
  void stop();

  /// Connections currently served.
  std::size_t connection_count();
  /// Accepted sockets still in their transport handshake (not yet connections). When this
  /// and connection_count() are both 0, every connection a client completed has been served
  /// and closed.
  std::size_t handshakes_in_progress();

 private:
  struct impl;
  void start_thread();
  unsigned short listen_rawsocket_impl(const std::string& host, unsigned short port,
                                       std::shared_ptr<const transport_auth> auth,
                                       std::optional<wamp::tls_server_config> tls);
  unsigned short listen_websocket_impl(const std::string& host, unsigned short port, std::vector<websocket_path> paths,
                                       std::optional<wamp::tls_server_config> tls);
  router_core& core_ref();
  const router_options& options_ref() const;

  std::unique_ptr<boost::asio::io_context> owned_io_;
  std::shared_ptr<impl> impl_;
  std::thread thread_;
};

// ---- implementation of the template -----------------------------------------------------

namespace detail {
bool running_in(const router::executor_type& ex);
}  // namespace detail

template <class F>
auto router::with_core(F&& f) -> std::invoke_result_t<F, router_core&> {
  using result = std::invoke_result_t<F, router_core&>;
  router_core& core = core_ref();
  // Inline on the router's thread, or once the router's own thread has ended.
  if (detail::running_in(get_executor()) || (owned_io_ && !thread_.joinable())) return f(core);
  std::packaged_task<result()> task([&] { return f(core); });
  auto done = task.get_future();
  boost::asio::dispatch(get_executor(), [&task] { task(); });
  if (const auto& wait = options_ref().wait) {
    wait([&] { return done.wait_for(std::chrono::seconds(0)) == std::future_status::ready; });
  }
  return done.get();
}

}  // namespace autobahn_sync::router

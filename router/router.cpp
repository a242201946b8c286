#include "router/router.hpp"

#include <map>
#include <unordered_map>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "router/busy_poll.hpp"
#include "router/uris.hpp"
#include "wamp/transport/inprocess.hpp"
#include "wamp/transport/rawsocket.hpp"
#include "wamp/transport/websocket.hpp"

namespace asio = boost::asio;

namespace autobahn_sync::router {

// Everything the router's handlers touch, shared with them through weak pointers so that a
// handler running after the router is gone does nothing.
struct router::impl : std::enable_shared_from_this<router::impl> {
  // `inline_delivery`: the router runs on its own thread (not a simulation's or a caller's
  // io_context), so in-process clients may deliver to it on their threads.
  impl(asio::io_context& io, router_options o, bool inline_delivery)
      : strand(asio::make_strand(asio::any_io_executor(io.get_executor())), std::make_shared<wamp::gate>()),
        options(std::move(o)), core(options.core), timer(strand), real_clock(!options.core.clock) {
    strand.gate()->set_accepts_delivery(inline_delivery);
  }

  executor_type strand;
  router_options options;
  router_core core;
  asio::steady_timer timer;
  bool real_clock;
  bool stopped = false;
  std::unordered_map<wamp::id, wamp::connection_ptr> connections;
  std::vector<std::function<void()>> closers;  // listeners' close functions
  std::vector<wamp::listener_ptr> listeners;
  std::optional<router_core::time_point> armed_for;

  void attach(wamp::connection_ptr c, std::shared_ptr<const transport_auth> auth) {
    if (stopped) {
      c->close_abruptly();
      return;
    }
    const auto& info = c->info();
    std::weak_ptr<wamp::connection> weak_connection = c;
    std::weak_ptr<impl> weak_self = shared_from_this();
    auto session_id = std::make_shared<wamp::id>(0);  // known once attached
    session_sink sink{
        [weak_connection, weak_self, session_id](wamp::message&& m) {
          auto conn = weak_connection.lock();
          if (!conn) return;
          const auto ec = conn->send(m);
          auto s = ec ? weak_self.lock() : nullptr;
          if (!s) return;
          if (wamp::is_encoding_error(ec)) s->undeliverable(*conn, *session_id, m, ec);
          if (ec == wamp::errc::send_queue_full) s->log_send_queue_full(*session_id);
        },
        [weak_connection] {
          if (auto conn = weak_connection.lock()) conn->close();
        }};
    const wamp::id id = core.attach(std::move(sink), {info.transport, info.serializer, info.peer, info.endpoint},
                                    std::move(auth));
    if (id == 0) return;  // over the connection limit: closed
    *session_id = id;
    connections.emplace(id, c);
    arm_timer();
    std::weak_ptr<impl> self = shared_from_this();
    wamp::connection_handler handler;
    handler.on_message = [self, id](wamp::message&& m) {
      if (auto s = self.lock()) {
        s->core.receive(id, std::move(m));
        s->arm_timer();
      }
    };
    handler.on_bad_message = [self, id](const boost::system::error_code& ec, const std::string& detail) {
      if (auto s = self.lock()) {
        const char* limit = ec == wamp::errc::message_too_large ? "max_message_size"
                            : ec == wamp::errc::nesting_too_deep ? "max_depth"
                            : ec == wamp::errc::decoded_too_large ? "max_decoded_size"
                                                                 : "";
        s->core.receive_bad(id, detail, limit);
      }
    };
    handler.on_close = [self, id](const boost::system::error_code& ec) {
      if (auto s = self.lock()) {
        // Over WebSocket an oversized message ends the connection (close code 1009) before
        // the session could be aborted; over RawSocket the ABORT was sent and logged already.
        const session* gone = s->core.find_session(id);
        if (ec == wamp::errc::message_too_large && gone && gone->phase != session::state::closing) {
          s->core.log_limit("max_message_size", *gone,
                            "connection closed: a message over the limit of " +
                                std::to_string(s->options.transport.max_message_size) + " bytes");
        }
        // Its pongs filled the send queue (a peer that pings and never reads).
        if (ec == wamp::errc::send_queue_full) s->log_send_queue_full(id);
        s->core.detach(id);
        s->connections.erase(id);
        s->arm_timer();
      }
    };
    c->start(std::move(handler));
  }

  // A connection a listener accepted: through the embedder's hook (router_options), then served.
  void accept(wamp::connection_ptr c, std::shared_ptr<const transport_auth> auth) {
    if (options.wrap_accepted) c = options.wrap_accepted(std::move(c));
    attach(std::move(c), std::move(auth));
  }

  // `m` cannot go to session `id`: bigger than its transport accepts, or holding what its
  // serializer cannot carry (`ec`: text that is not UTF-8, NaN for JSON, nesting too deep: a
  // MsgPack peer's payload for a JSON one). A caller waiting for it gets ERROR
  // payload_size_exceeded (invalid_argument) instead of a RESULT (or of the callee's ERROR); an
  // INVOCATION is answered for its callee with that error, which reaches the caller through the
  // dealer (posted, as the dealer is in the middle of the CALL). A WELCOME or CHALLENGE
  // aborts the session. Anything else (EVENT) is dropped. Logged.
  void undeliverable(wamp::connection& to, wamp::id id, const wamp::message& m, const boost::system::error_code& ec) {
    const std::string type(wamp::name_of(wamp::type_of(m)));
    const bool too_big = ec == wamp::errc::message_too_large;
    const std::string error_uri = too_big ? uris::payload_size_exceeded : uris::invalid_argument;
    const std::string why = too_big ? "the " + type + " is bigger than this connection accepts"
                                    : "the " + type + " cannot be encoded for this connection: " + ec.message();
    const std::string callee_why = too_big ? "the INVOCATION is bigger than the callee's connection accepts" : why;
    std::optional<wamp::id> call_request;
    if (const auto* r = std::get_if<wamp::result>(&m)) call_request = r->request;
    if (const auto* e = std::get_if<wamp::error>(&m); e && e->request_type == wamp::message_type::call)
      call_request = e->request;
    std::string outcome = "dropped";
    if (call_request) {
      to.send(wamp::error{wamp::message_type::call, *call_request, {{"message", why}}, error_uri});
      outcome = too_big ? "ERROR " + error_uri + " sent instead" : "the call fails with " + error_uri;
    } else if (const auto* inv = std::get_if<wamp::invocation>(&m)) {
      std::weak_ptr<impl> self = shared_from_this();
      asio::post(strand, [self, id, request = inv->request, callee_why, error_uri] {
        auto me = self.lock();
        if (!me) return;
        // The callee may have left meanwhile (its calls failed then): an ERROR from it now
        // would be a protocol violation of a peer that did nothing wrong.
        if (const session* callee = me->core.find_session(id); callee && callee->phase == session::state::established) {
          me->core.receive(id, wamp::error{wamp::message_type::invocation, request, {{"message", callee_why}}, error_uri});
          me->arm_timer();
        }
      });
      outcome = "the call fails with " + error_uri;
    } else if (std::holds_alternative<wamp::welcome>(m) || std::holds_alternative<wamp::challenge>(m)) {
      // The peer cannot join (a RawSocket client announcing 512 bytes cannot take the
      // router's WELCOME): ABORT rather than leave it waiting. Posted, as the core is in the
      // middle of the join.
      std::weak_ptr<impl> self = shared_from_this();
      asio::post(strand, [self, id, why, error_uri] {
        auto me = self.lock();
        if (!me) return;
        if (session* peer = me->core.find_session(id); peer && peer->phase != session::state::closing) {
          me->core.abort_session(*peer, error_uri, why);
          me->arm_timer();
        }
      });
      outcome = "the session is aborted";
    }
    session* s = core.find_session(id);
    if (!s) return;
    ++s->undelivered;
    if (too_big) {
      core.log_limit("max_message_size", *s, type + " too big for the peer: " + outcome);
    } else {
      core.log("undeliverable: session=" + std::to_string(id) + " " + why + "; " + outcome);
    }
  }

  // The connection closed itself: its peer does not read what it is sent.
  void log_send_queue_full(wamp::id id) {
    if (const session* s = core.find_session(id)) {
      core.log_limit("max_send_queue_bytes", *s,
                     "connection closed: more than " + std::to_string(options.transport.max_send_queue_bytes) +
                         " bytes wait for a peer that does not read");
    }
  }

  // Logs each peer a listener dropped for not finishing its handshake in time (the listeners
  // run on the strand, so this does too).
  wamp::handshake_timeout_handler handshake_timeout_logger(const char* transport) {
    std::weak_ptr<impl> self = shared_from_this();
    return [self, transport](const std::string& peer) {
      if (auto s = self.lock()) {
        s->core.log_limit("handshake_timeout", peer,
                          std::string("dropped: no ") + transport + " handshake within " +
                              std::to_string(s->options.transport.handshake_timeout.count()) + " ms");
      }
    };
  }

  // Logs each peer a listener closed because max_pending_handshakes were in progress.
  wamp::handshake_timeout_handler handshake_limit_logger() {
    std::weak_ptr<impl> self = shared_from_this();
    return [self](const std::string& peer) {
      if (auto s = self.lock()) {
        s->core.log_limit("max_pending_handshakes", peer,
                          "closed: " + std::to_string(s->options.transport.max_pending_handshakes) +
                              " handshakes are in progress already");
      }
    };
  }

  // Logs each failed accept (out of file descriptors) and the listener's pause before the next.
  wamp::accept_error_handler accept_error_logger(const char* transport) {
    std::weak_ptr<impl> self = shared_from_this();
    return [self, transport](const boost::system::error_code& ec, std::chrono::milliseconds pause) {
      if (auto s = self.lock()) {
        s->core.log(std::string(transport) + " listener: accepting failed: " + ec.message() + "; next try in " +
                    std::to_string(pause.count()) + " ms");
      }
    };
  }

  // Keeps one real timer armed for the earliest call timeout.
  void arm_timer() {
    if (!real_clock) return;
    const auto next = core.next_deadline();
    if (next == armed_for) return;
    armed_for = next;
    if (!next) {
      timer.cancel();
      return;
    }
    timer.expires_at(*next);
    std::weak_ptr<impl> self = shared_from_this();
    timer.async_wait([self](const boost::system::error_code& ec) {
      if (ec) return;
      if (auto s = self.lock()) {
        s->armed_for.reset();
        s->core.expire();
        s->arm_timer();
      }
    });
  }

  void shutdown() {
    if (stopped) return;
    stopped = true;
    strand.gate()->set_accepts_delivery(false);
    for (auto& close : closers) close();
    closers.clear();
    core.shutdown(uris::system_shutdown);
    timer.cancel();
  }
};

namespace detail {
bool running_in(const router::executor_type& ex) { return ex.running_in_this_thread(); }
}  // namespace detail

router::router(router_config config, router_options options)
    : owned_io_(std::make_unique<asio::io_context>(1)),
      impl_(std::make_shared<impl>(*owned_io_, std::move(options), true)) {
  for (auto& realm : config.realms) impl_->core.add_realm(std::move(realm));
  start_thread();
}

router::router(asio::io_context& io, router_config config, router_options options)
    : impl_(std::make_shared<impl>(io, std::move(options), false)) {
  for (auto& realm : config.realms) impl_->core.add_realm(std::move(realm));
}

router::~router() { stop(); }

void router::start_thread() {
  thread_ = std::thread([io = owned_io_.get(), spin = impl_->options.busy_poll] {
    auto guard = asio::make_work_guard(*io);
    run_busy_polling(*io, spin);
  });
}

router_core& router::core_ref() { return impl_->core; }
const router_options& router::options_ref() const { return impl_->options; }

router::executor_type router::get_executor() const { return impl_->strand; }

void router::add_realm(realm_config config) {
  with_core([&](router_core& core) { core.add_realm(std::move(config)); });
}

bool router::remove_realm(const std::string& name) {
  return with_core([&](router_core& core) { return core.remove_realm(name); });
}

void router::set_authenticator(const std::string& realm_name, std::shared_ptr<authenticator> a) {
  with_core([&](router_core& core) {
    realm* r = core.find_realm(realm_name);
    if (!r) throw config_error("no realm named " + realm_name);
    r->set_authenticator(std::move(a));
  });
}

void router::set_authorizer(const std::string& realm_name, authorizer_fn f) {
  with_core([&](router_core& core) {
    realm* r = core.find_realm(realm_name);
    if (!r) throw config_error("no realm named " + realm_name);
    r->set_authorizer(std::move(f));
  });
}

void router::attach(wamp::connection_ptr connection, std::shared_ptr<const transport_auth> auth) {
  asio::dispatch(impl_->strand, [self = impl_, connection = std::move(connection), auth = std::move(auth)]() mutable {
    self->attach(std::move(connection), std::move(auth));
  });
}

wamp::connection_ptr router::connect_inprocess(wamp::connection::executor_type client_executor,
                                               const wamp::serializer* s) {
  auto [client_end, router_end] =
      wamp::make_inprocess_pair(std::move(client_executor), impl_->strand, s, impl_->options.transport);
  attach(router_end);
  return client_end;
}

unsigned short router::listen_rawsocket(const std::string& host, unsigned short port,
                                        std::shared_ptr<const transport_auth> auth) {
  return listen_rawsocket_impl(host, port, std::move(auth), std::nullopt);
}

unsigned short router::listen_rawsocket(const std::string& host, unsigned short port,
                                        std::shared_ptr<const transport_auth> auth,
                                        const wamp::tls_server_config& tls) {
  return listen_rawsocket_impl(host, port, std::move(auth), tls);
}

unsigned short router::listen_rawsocket_impl(const std::string& host, unsigned short port,
                                             std::shared_ptr<const transport_auth> auth,
                                             std::optional<wamp::tls_server_config> tls) {
  wamp::rawsocket_listener_options options;
  options.transport = impl_->options.transport;
  options.tls = std::move(tls);
  options.refuse_handshake = impl_->options.refuse_rawsocket_handshake;
  options.on_handshake_timeout = impl_->handshake_timeout_logger("RawSocket");
  options.on_accept_error = impl_->accept_error_logger("RawSocket");
  options.on_handshake_limit = impl_->handshake_limit_logger();
  auto l = wamp::rawsocket_listener::create(impl_->strand, host, port, options);
  std::weak_ptr<impl> self = impl_;
  l->start([self, auth](wamp::connection_ptr c) {
    if (auto s = self.lock()) s->accept(std::move(c), auth);
  });
  with_core([&](router_core&) {
    impl_->closers.push_back([l] { l->close(); });
    impl_->listeners.push_back(l);
  });
  return l->port();
}

unsigned short router::listen_websocket(const std::string& host, unsigned short port, const std::string& path) {
  return listen_websocket(host, port, std::vector<websocket_path>{{path, nullptr}});
}

unsigned short router::listen_websocket(const std::string& host, unsigned short port,
                                        std::vector<websocket_path> paths) {
  return listen_websocket_impl(host, port, std::move(paths), std::nullopt);
}

unsigned short router::listen_websocket(const std::string& host, unsigned short port, const std::string& path,
                                        const wamp::tls_server_config& tls) {
  return listen_websocket_impl(host, port, std::vector<websocket_path>{{path, nullptr}}, tls);
}

unsigned short router::listen_websocket(const std::string& host, unsigned short port,
                                        std::vector<websocket_path> paths, const wamp::tls_server_config& tls) {
  return listen_websocket_impl(host, port, std::move(paths), tls);
}

unsigned short router::listen_websocket_impl(const std::string& host, unsigned short port,
                                             std::vector<websocket_path> paths,
                                             std::optional<wamp::tls_server_config> tls) {
  wamp::websocket_listener_options options;
  options.transport = impl_->options.transport;
  options.tls = std::move(tls);
  options.on_handshake_timeout = impl_->handshake_timeout_logger("WebSocket");
  options.on_accept_error = impl_->accept_error_logger("WebSocket");
  options.on_handshake_limit = impl_->handshake_limit_logger();
  options.paths.clear();
  std::map<std::string, std::shared_ptr<const transport_auth>> auth_by_path;
  for (auto& p : paths) {
    const std::string served = p.any_path ? "*" : p.path;
    options.paths.push_back(served);
    auth_by_path[served] = std::move(p.auth);
  }
  auto l = wamp::websocket_listener::create(impl_->strand, host, port, options);
  std::weak_ptr<impl> self = impl_;
  l->start([self, auth_by_path](wamp::connection_ptr c) {
    const auto it = auth_by_path.find(c->info().endpoint);
    if (auto s = self.lock()) s->accept(std::move(c), it == auth_by_path.end() ? nullptr : it->second);
  });
  with_core([&](router_core&) {
    impl_->closers.push_back([l] { l->close(); });
    impl_->listeners.push_back(l);
  });
  return l->port();
}

unsigned short router::listen(const listener_config& l) {
  if (l.type == "rawsocket") return listen_rawsocket(l.host, l.port, l.auth);
  if (l.type != "websocket") throw config_error("listener type must be websocket or rawsocket, not \"" + l.type + "\"");
  if (l.paths.empty()) return listen_websocket(l.host, l.port, l.path);
  return listen_websocket(l.host, l.port, l.paths);
}

void router::expire() {
  asio::dispatch(impl_->strand, [self = impl_] {
    self->core.expire();
    self->arm_timer();
  });
}

std::size_t router::connection_count() {
  return with_core([this](router_core&) { return impl_->connections.size(); });
}

std::size_t router::handshakes_in_progress() {
  return with_core([this](router_core&) {
    std::size_t n = 0;
    for (const auto& l : impl_->listeners) n += l->handshakes_in_progress();
    return n;
  });
}

void router::stop() {
  if (!impl_) return;
  auto shutdown = [self = impl_] { self->shutdown(); };
  if (!owned_io_) {
    asio::dispatch(impl_->strand, shutdown);
    return;
  }
  if (!thread_.joinable()) return;  // stopped already
  std::promise<void> done;
  auto finished = done.get_future();
  asio::dispatch(impl_->strand, [&] {
    shutdown();
    done.set_value();
  });
  finished.wait();
  owned_io_->stop();
  thread_.join();
  // Run what the closes queued (on this thread, the router's thread being gone), so no
  // handler is left holding the router's state when the io_context goes.
  owned_io_->restart();
  owned_io_->poll();
  impl_->connections.clear();
}

}  // namespace autobahn_sync::router

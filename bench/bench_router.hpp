// The embedded router every benchmark talks to, and client options that reach it over one
// transport and serializer: in-process, RawSocket or WebSocket on 127.0.0.1.
#pragma once

#include <chrono>
#include <cstdlib>
#include <string>

#include "client/autobahn_sync.hpp"
#include "router/router.hpp"
#include "wamp/transport/inprocess.hpp"
#include "wamp/transport/url.hpp"

namespace autobahn_sync::bench {

enum transport { inprocess = 0, rawsocket = 1, websocket = 2 };

inline const char* transport_name(transport t) {
  static const char* names[] = {"inprocess", "rawsocket", "websocket"};
  return names[t];
}
inline const char* serializer_name(wamp::serializer_kind k) {
  return k == wamp::serializer_kind::json ? "json" : "msgpack";
}

class bench_router {
 public:
  explicit bench_router(transport t, router::realm_config realm = {"realm1"}, router::router_options options = {})
      : transport_(t), router_(
                           [&] {
                             router::router_config c;
                             c.realms.push_back(std::move(realm));
                             return c;
                           }(),
                           std::move(options)) {
    if (t == rawsocket) url_ = "rs://127.0.0.1:" + std::to_string(router_.listen_rawsocket());
    if (t == websocket) url_ = "ws://127.0.0.1:" + std::to_string(router_.listen_websocket()) + "/ws";
  }

  router::router& get() { return router_; }
  const std::string& url() const { return url_; }

  /// Client options whose connections reach this router with serializer `kind`.
  client_options options(wamp::serializer_kind kind) {
    client_options o;
    o.serializers = {kind};
    // BENCH_SPIN_WAIT_US=N runs the clients with client_options::spin_wait = N us (default 20).
    if (const char* spin = std::getenv("BENCH_SPIN_WAIT_US")) o.spin_wait = std::chrono::microseconds(std::atoi(spin));
    if (transport_ == inprocess) {
      o.connect = [this, kind](boost::asio::any_io_executor ex, const std::string&, wamp::connect_handler done) {
        auto pair = wamp::make_inprocess_pair(ex, router_.get_executor(), &wamp::serializer_for(kind));
        router_.attach(pair.second);
        done({}, pair.first);
      };
    } else {
      o.connect = [kind](boost::asio::any_io_executor ex, const std::string& u, wamp::connect_handler done) {
        wamp::async_connect(ex, u, {kind}, {}, std::move(done));
      };
    }
    return o;
  }

 private:
  transport transport_;
  router::router router_;
  std::string url_ = "inprocess://";
};

}  // namespace autobahn_sync::bench

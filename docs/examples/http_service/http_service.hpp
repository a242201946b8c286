// A small Boost.Beast HTTP service whose request handlers call and publish through an
// AutobahnSync client: the C++ counterpart of the seed's Flask extension. Handlers are plain
// blocking code; the client does the WAMP work on its own threads.
//
//   GET  /add?a=1&b=2        calls com.example.add(a, b)   -> 200 {"result": 3}
//   POST /events/TOPIC       publishes the JSON body (a list of args) on TOPIC, acknowledged
//                                                          -> 202 {"publication": ID}
// WAMP errors become HTTP statuses: NotAuthorized 403, other ApplicationError 502 (body: the
// error URI, args, kwargs), TransportLost / NotRunningError / SessionNotReady 503; bad input 400.
//
// Thread safety: requests are served one at a time on the service's own thread.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "client/autobahn_sync.hpp"

namespace example {

class http_service {
 public:
  /// Listens on host:port (0 picks a free port) and serves with `wamp`, which must be running.
  http_service(autobahn_sync::AutobahnSync& wamp, const std::string& host, unsigned short port);
  /// Stops listening and joins the service's thread.
  ~http_service();
  http_service(const http_service&) = delete;
  http_service& operator=(const http_service&) = delete;

  unsigned short port() const noexcept { return port_; }

 private:
  void accept();
  void serve(boost::asio::ip::tcp::socket socket);

  autobahn_sync::AutobahnSync& wamp_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::thread thread_;
};

}  // namespace example

// An embedded router listening for RawSocket on 127.0.0.1 with a callee (the project's client)
// registered as "bench.echo": what the autobahn-cpp comparison calls. `busy_polling`: the
// router polls bench::busy_poll_spin before it sleeps (router_options::busy_poll). A plain
// interface, so that a translation unit built with autobahn-cpp's flags never includes the
// router's headers.
#pragma once

#include <memory>

namespace autobahn_sync::bench {

class echo_router {
 public:
  explicit echo_router(bool busy_polling = false);
  ~echo_router();
  unsigned short rawsocket_port() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace autobahn_sync::bench

// The example HTTP service as a program: configured like the seed's Flask extension
// (AUTOBAHN_ROUTER, AUTOBAHN_REALM, then the defaults), serving on 127.0.0.1:8000 until
// SIGINT/SIGTERM.
#include <csignal>
#include <cstdio>
#include <stdexcept>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "client/config.hpp"
#include "docs/examples/http_service/http_service.hpp"

int main() {
  autobahn_sync::AutobahnSync app;
  try {
    autobahn_sync::start(app, autobahn_sync::resolve_config());
  } catch (const autobahn_sync::Error& e) {
    std::fprintf(stderr, "http_service: cannot join the router: %s\n", e.what());
    return 1;
  } catch (const std::invalid_argument& e) {  // a bad AUTOBAHN_* setting
    std::fprintf(stderr, "http_service: bad configuration: %s\n", e.what());
    return 2;
  }
  example::http_service service(app, "127.0.0.1", 8000);
  std::printf("serving on http://127.0.0.1:%u\n", service.port());
  std::fflush(stdout);
  boost::asio::io_context signals_io;
  boost::asio::signal_set signals(signals_io, SIGINT, SIGTERM);
  signals.async_wait([](const boost::system::error_code&, int) {});
  signals_io.run();
  app.stop();
}

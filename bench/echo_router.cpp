#include "bench/echo_router.hpp"

#include "bench/bench_router.hpp"
#include "bench/busy_poll_spin.hpp"

namespace autobahn_sync::bench {

struct echo_router::impl {
  explicit impl(bool busy_polling)
      : router(rawsocket, {"realm1"}, [&] {
          router::router_options o;
          if (busy_polling) o.busy_poll = busy_poll_spin;
          return o;
        }()) {}
  bench_router router;
  AutobahnSync callee{{}, router.options(wamp::serializer_kind::msgpack)};
  unsigned short port = 0;
};

echo_router::echo_router(bool busy_polling) : impl_(std::make_unique<impl>(busy_polling)) {
  impl_->callee.register_procedure("bench.echo", [](const wamp::list& args, const wamp::dict&, const invocation_details&) {
    return call_result{args};
  });
  impl_->callee.run(impl_->router.url(), "realm1");
  impl_->port = static_cast<unsigned short>(std::stoi(impl_->router.url().substr(std::string("rs://127.0.0.1:").size())));
}

echo_router::~echo_router() { impl_->callee.stop(); }

unsigned short echo_router::rawsocket_port() const { return impl_->port; }

}  // namespace autobahn_sync::bench

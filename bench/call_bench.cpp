// Sequential blocking call latency through the embedded router, per transport, serializer and
// payload size: what a caller of autobahn_sync::SyncSession::call waits. p50 and p99 are
// reported as counters; compare with //bench:tcp_baseline_bench (the physical limit).
#include <future>
#include <memory>
#include <string>

#include <benchmark/benchmark.h>

#include "bench/busy_poll_spin.hpp"
#include "bench/latency_recorder.hpp"
#include "client/autobahn_sync.hpp"
#include "router/router.hpp"
#include "wamp/transport/inprocess.hpp"
#include "wamp/transport/url.hpp"

namespace wamp = autobahn_sync::wamp;
namespace router = autobahn_sync::router;
using autobahn_sync::AutobahnSync;

namespace {

enum transport { inprocess = 0, rawsocket = 1, websocket = 2 };

// A router with a callee echoing its arguments, and a caller; both joined.
struct setup {
  router::router r;
  std::unique_ptr<AutobahnSync> callee;
  std::unique_ptr<AutobahnSync> caller;

  // mode 0: every client on its own I/O thread; 1: the callee's handlers inline on its I/O
  // thread; 2 (in-process only): both clients also run on the router's thread, so a call
  // crosses threads only from the caller to the router and back; 3: the callee with two
  // callbacks threads, which take turns at its I/O (leader/follower); 4: the caller without an
  // I/O thread (client_options::caller_driven_io: it reads its own RESULT); 5: 4 with the
  // inline callee of 1; 6: 0 with a busy-polling router (router_options::busy_poll); 7: 4
  // with a busy-polling router; 8: 0 with the I/O threads reading every message
  // (client_options::callers_read = false on both clients, the default before 2026-11-27).
  setup(transport t, wamp::serializer_kind kind, int mode = 0)
      : r(
            [] {
              router::router_config c;
              c.realms.push_back({"realm1"});
              return c;
            }(),
            [mode] {
              router::router_options o;
              if (mode == 6 || mode == 7) o.busy_poll = autobahn_sync::bench::busy_poll_spin;
              return o;
            }()) {
    std::string url = "inprocess://";
    autobahn_sync::client_options options;
    options.serializers = {kind};
    if (t == inprocess) {
      options.connect = [this, kind](boost::asio::any_io_executor ex, const std::string&, wamp::connect_handler done) {
        auto pair = wamp::make_inprocess_pair(ex, r.get_executor(), &wamp::serializer_for(kind));
        r.attach(pair.second);
        done({}, pair.first);
      };
    } else {
      url = t == rawsocket ? "rs://127.0.0.1:" + std::to_string(r.listen_rawsocket())
                           : "ws://127.0.0.1:" + std::to_string(r.listen_websocket()) + "/ws";
      options.connect = [kind](boost::asio::any_io_executor ex, const std::string& u, wamp::connect_handler done) {
        wamp::async_connect(ex, u, {kind}, {}, std::move(done));
      };
    }
    auto callee_options = options;
    if (mode == 1 || mode == 2 || mode == 5) callee_options.callback_threads = 0;  // the handler runs on the I/O thread
    if (mode == 3) callee_options.callback_threads = 2;
    callee_options.callers_read = mode != 8;
    callee = std::make_unique<AutobahnSync>(std::vector<std::string>{}, callee_options);
    callee->register_procedure("bench.echo", [](const wamp::list& args, const wamp::dict&,
                                                 const autobahn_sync::invocation_details&) {
      return autobahn_sync::call_result{args};
    });
    auto caller_options = options;
    caller_options.caller_driven_io = mode == 4 || mode == 5 || mode == 7;
    caller_options.callers_read = mode != 8;
    caller = std::make_unique<AutobahnSync>(std::vector<std::string>{}, caller_options);
    if (mode == 2) {
      join_on_router_thread(*callee, url);
      join_on_router_thread(*caller, url);
    } else {
      callee->run(url, "realm1");
      caller->run(url, "realm1");
    }
  }
  void join_on_router_thread(AutobahnSync& app, const std::string& url) {
    std::promise<void> joined;
    autobahn_sync::run_options o;
    o.url = url;
    o.callback = [&joined] { joined.set_value(); };
    app.run_on_executor(r.get_executor(), o);
    joined.get_future().wait();
    if (app.last_error()) std::rethrow_exception(app.last_error());
  }
  ~setup() {
    caller->stop();
    callee->stop();
  }
};

void BM_call(benchmark::State& state) {
  const auto t = static_cast<transport>(state.range(0));
  const auto kind = static_cast<wamp::serializer_kind>(state.range(1));
  const auto size = static_cast<std::size_t>(state.range(2));
  const int mode = static_cast<int>(state.range(3));
  setup s(t, kind, mode);
  auto& session = s.caller->session();
  const wamp::list args{std::string(size, 'x')};
  autobahn_sync::bench::latency_recorder latency;
  for (auto _ : state) {
    latency.measure([&] { benchmark::DoNotOptimize(session.call("bench.echo", args)); });
  }
  latency.report(state);
  static const char* names[] = {"inprocess", "rawsocket", "websocket"};
  state.SetLabel(std::string(names[t]) + "/" + (kind == wamp::serializer_kind::json ? "json" : "msgpack") + "/" +
                 std::to_string(size) + "B" + (mode == 1   ? "/inline callee"
                                  : mode == 2 ? "/on the router's thread"
                                  : mode == 3 ? "/callee with 2 callbacks threads"
                                  : mode == 4 ? "/caller-driven I/O"
                                  : mode == 5 ? "/caller-driven I/O, inline callee"
                                  : mode == 6 ? "/busy-polling router"
                                  : mode == 7 ? "/caller-driven I/O, busy-polling router"
                                  : mode == 8 ? "/I/O threads read everything"
                                              : ""));
}

void call_args(benchmark::internal::Benchmark* b) {
  for (int t : {inprocess, rawsocket, websocket})
    for (int kind : {1, 2})
      for (int size : {16, 4096, 65536}) b->Args({t, kind, size, 0});
  // Callee handlers inline on its I/O thread (callback_threads = 0): two thread hand-offs less.
  for (int t : {inprocess, rawsocket, websocket}) b->Args({t, 2, 16, 1});
  b->Args({inprocess, 2, 16, 2});
  // The callee's threads take turns at its I/O: the thread that reads the invocation runs it.
  for (int t : {rawsocket, websocket}) b->Args({t, 2, 16, 3});
  // The caller reads its own RESULT (client_options::caller_driven_io): one hand-off less.
  for (int t : {inprocess, rawsocket, websocket}) b->Args({t, 2, 16, 4});
  for (int t : {rawsocket, websocket}) b->Args({t, 2, 16, 5});
  // The clients' I/O threads read every message (callers_read = false): what mode 0 saves.
  for (int t : {inprocess, rawsocket, websocket}) b->Args({t, 2, 16, 8});
  // The router polls a while before it sleeps (router_options::busy_poll): the YIELD finds it
  // awake. Compared with the busy-polling relay (tcp_baseline_bench), not the plain one.
  for (int t : {rawsocket, websocket})
    for (int mode : {6, 7}) b->Args({t, 2, 16, mode});
}

}  // namespace

BENCHMARK(BM_call)->Apply(call_args)->UseRealTime()->MinTime(0.5);

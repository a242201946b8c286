#include "testing/wamp_fixture.hpp"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <chrono>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <catch2/catch.hpp>

#include "testing/detail/watchdog.hpp"
#include "testing/faulty_connection.hpp"
#include "testing/socket_link.hpp"
#include "wamp/transport/inprocess.hpp"
#include "wamp/transport/url.hpp"

namespace autobahn_sync::testing {
namespace {

// The trace of the fixture whose test is running, printed by the listener when an assertion
// fails (trace_listener.cpp).
message_trace* current_trace = nullptr;

// The threads of this process, from /proc/self/task (Linux): a thread's id, its name (comm)
// and whether it is on its way out.
struct process_thread {
  int tid = 0;
  std::string name;
  bool exiting = false;
};

// PF_EXITING in /proc/<tid>/stat's flags: the kernel sets it as the thread starts to exit.
// A joined thread can still be listed for a moment after pthread_join returned (the kernel
// wakes the joiner before it removes the task), but always with this flag set.
constexpr unsigned long pf_exiting = 0x4;

std::vector<process_thread> process_threads() {
  std::vector<process_thread> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    const auto name = entry.path().filename().string();
    process_thread t;
    if (std::from_chars(name.data(), name.data() + name.size(), t.tid).ec != std::errc{}) continue;
    try {
      // A thread that ends between the listing and the read fails the read with ESRCH,
      // which libstdc++'s filebuf throws as an ios_failure: it is gone, as an empty read says.
      std::ifstream stat(entry.path() / "stat");
      const std::string line((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
      const auto close = line.rfind(')');  // the name in parentheses may hold spaces
      if (close == std::string::npos) continue;  // gone meanwhile
      std::istringstream fields(line.substr(close + 1));
      std::string state, skip;
      unsigned long flags = 0;
      fields >> state >> skip >> skip >> skip >> skip >> skip >> flags;  // fields 3..9
      t.exiting = (flags & pf_exiting) != 0 || state == "Z" || state == "X";
      std::ifstream comm(entry.path() / "comm");
      std::getline(comm, t.name);
    } catch (const std::ios_base::failure&) {
      continue;  // gone meanwhile
    }
    out.push_back(std::move(t));
  }
  return out;
}

// The threads running now. Under ThreadSanitizer, its background thread starts with the
// process's first pthread_create: one thread made and joined here first makes it part of the
// fixture's starting set instead of a thread "started during the test".
std::set<int> thread_ids() {
#if defined(__SANITIZE_THREAD__)
  static const bool tsan_thread_started = [] {
    std::thread([] {}).join();
    return true;
  }();
  (void)tsan_thread_started;
#endif
  std::set<int> ids;
  for (const auto& t : process_threads()) ids.insert(t.tid);
  return ids;
}

}  // namespace

message_trace* running_fixture_trace() { return current_trace; }

std::string_view to_string(fixture_transport t) noexcept {
  switch (t) {
    case fixture_transport::inprocess: return "inprocess";
    case fixture_transport::rawsocket: return "rawsocket";
    case fixture_transport::websocket: return "websocket";
  }
  return "?";
}

std::string transport_variant::name() const {
  return std::string(to_string(transport)) + "/" + std::string(wamp::serializer_for(serializer).subprotocol().substr(7));
}

fixture_options transport_variant::apply(fixture_options base) const {
  base.transport = transport;
  base.serializer = &wamp::serializer_for(serializer);
  return base;
}

std::vector<transport_variant> all_transports() {
  std::vector<transport_variant> out;
  for (auto t : {fixture_transport::inprocess, fixture_transport::rawsocket, fixture_transport::websocket})
    for (auto s : {wamp::serializer_kind::json, wamp::serializer_kind::msgpack}) out.push_back({t, s});
  return out;
}

wamp_fixture::wamp_fixture(fixture_options options)
    : threads_at_start_(thread_ids()),
      options_(std::move(options)),
      plan_(fault_plan::create()),
      trace_(std::make_shared<message_trace>()) {
  router::router_options ro;
  seed_ = options_.seed;
  ro.core.seed = options_.seed;
  ro.core.limits = options_.limits;
  // Handshake rules of the fault plan (fault::refuse_rawsocket_handshake).
  ro.refuse_rawsocket_handshake = [plan = plan_] { return plan->rawsocket_handshake_refusal(); };
  // The router's end of each socket slices what the router writes (fault::slice to_client).
  ro.wrap_accepted = [plan = plan_, links = links_](wamp::connection_ptr c) -> wamp::connection_ptr {
    return router_end_slicer::wrap(std::move(c), plan, links);
  };
  if (options_.simulation) {
    if (options_.transport != fixture_transport::inprocess)
      throw std::invalid_argument("a simulation runs on the in-process transport only (sockets need real I/O)");
    sim_ = std::make_unique<testing::simulation>(options_.seed, options_.ready_order);
    seed_ = sim_->seed();
    ro.core.seed = seed_;
    clock_ = sim_->clock();
    ro.core.clock = clock_->as_function();
    // Challenge timestamps from virtual time too, so a seed replays them.
    ro.core.wall_clock = [clock = clock_, start = clock_->now()] {
      constexpr std::int64_t epoch_ms = 1'700'000'000'000;
      return epoch_ms + std::chrono::duration_cast<std::chrono::milliseconds>(clock->now() - start).count();
    };
    ro.wait = sim_->router_wait();
    options_.client.clock = clock_;
    options_.client.executor = sim_->get_executor();
    options_.client.spin_wait = std::chrono::microseconds(0);
    trace_->set_clock([clock = clock_, start = clock_->now()] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(clock->now() - start);
    });
    sim_->set_context([trace = trace_] {
      return "---- WAMP message trace (" + std::to_string(trace->size()) + " messages) ----\n" + trace->format() +
             "---- end of trace ----\n";
    });
  } else if (options_.virtual_time) {
    clock_ = std::make_shared<wamp::manual_clock>();
    ro.core.clock = clock_->as_function();
    options_.client.clock = clock_;
    // The trace's times are virtual too: "+30000ms" after advance(30s).
    trace_->set_clock([clock = clock_, start = clock_->now()] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(clock->now() - start);
    });
  }
  router::router_config config;
  config.realms.push_back(options_.realm);
  if (sim_) {
    router_ = std::make_unique<router::router>(sim_->io(), std::move(config), std::move(ro));
    router::router* r = router_.get();
    sim_->add_due_source([r] { return r->with_core([](router::router_core& core) { return core.next_deadline(); }); });
    expire_listener_ = clock_->on_advance([r] { r->expire(); });
  } else {
    router_ = std::make_unique<router::router>(std::move(config), std::move(ro));
  }
  switch (options_.transport) {
    case fixture_transport::inprocess: break;
    case fixture_transport::rawsocket:
      url_ = "rs://127.0.0.1:" + std::to_string(router_->listen_rawsocket("127.0.0.1", 0));
      break;
    case fixture_transport::websocket:
      url_ = "ws://127.0.0.1:" + std::to_string(router_->listen_websocket("127.0.0.1", 0, "/ws")) + "/ws";
      break;
  }
  for (const int tid : thread_ids())
    if (!threads_at_start_.count(tid)) router_threads_.insert(tid);
  current_trace = trace_.get();
}

void wamp_fixture::advance(std::chrono::milliseconds d) {
  if (sim_) return sim_->advance(d);
  if (!clock_) throw std::logic_error("wamp_fixture::advance needs fixture_options::virtual_time");
  clock_->advance(d);
  router_->expire();
}

wamp_fixture::~wamp_fixture() {
  const bool failing = std::uncaught_exceptions() > 0;
  stop_clients();
  if (check_leaks_ && !failing) {
    const auto problems = leaks(options_.teardown_settle);
    for (const auto& p : problems) FAIL_CHECK("wamp_fixture teardown: " << p);
    if (sim_) {
      for (const auto& d : sim_->nested_deadlocks())
        FAIL_CHECK("wamp_fixture teardown: a blocking call in a handler deadlocked: " << d);
    }
  }
  if (check_leaks_ && !failing) {
    for (const auto& e : trace_->select([](const trace_entry& e) { return e.note == note_handler_after_leave; }))
      FAIL_CHECK("wamp_fixture teardown: a handler started after its client left: " << e.format());
  }
  router_->stop();
  router_threads_.clear();  // joined: from here on a router thread that still runs leaked
  if (sim_) {
    // Let the shutdown's closes run; nothing may run on the simulation after this.
    sim_->run_ready();
    clock_->remove_listener(expire_listener_);
    clients_.clear();
    router_.reset();
    sim_->run_ready();
  }
  // Every client and the router joined their threads by now: what still runs leaked.
  if (check_leaks_ && !failing) {
    for (const auto& p : leaked_threads(options_.teardown_settle)) FAIL_CHECK("wamp_fixture teardown: " << p);
  }
  if (current_trace == trace_.get()) current_trace = nullptr;
}

std::vector<std::string> wamp_fixture::leaked_threads(std::chrono::milliseconds settle) const {
  auto still_running = [&] {
    std::vector<process_thread> out;
    for (auto& t : process_threads())
      if (!t.exiting && !threads_at_start_.count(t.tid) && !router_threads_.count(t.tid)) out.push_back(std::move(t));
    return out;
  };
  // Joined threads are gone or exiting at once. A detached thread's end signals nothing
  // one can wait on, so the ones still listed are looked at again until `settle` passed.
  const auto deadline = std::chrono::steady_clock::now() + settle;
  auto running = still_running();
  while (!running.empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
    running = still_running();
  }
  if (running.empty()) return {};
  std::string what = std::to_string(running.size()) + " thread(s) started during the test still run:";
  for (std::size_t i = 0; i < running.size(); ++i)
    what += (i ? ", '" : " '") + running[i].name + "' (tid " + std::to_string(running[i].tid) + ")";
  return {what};
}

client_options wamp_fixture::options_for(const std::string& name, client_options base) {
  if (sim_) {
    base.clock = clock_;
    base.executor = sim_->get_executor();
    base.wait = sim_->client_wait(name);
    base.spin_wait = std::chrono::microseconds(0);
  }
  if (options_.transport != fixture_transport::inprocess) {
    // The router accepts the socket itself, so the plan and trace sit on the client's end;
    // the router's end only slices what the router writes, told the client's name through
    // the link its HELLO carries (socket_link.hpp).
    // The fixture's serializer, unless the client names exactly one of its own.
    const auto kind = base.serializers.size() == 1 ? base.serializers.front()
                      : options_.serializer       ? options_.serializer->kind()
                                                  : wamp::serializer_kind::json;
    base.connect = [this, name, kind](boost::asio::any_io_executor executor, const std::string&,
                                      wamp::connect_handler done) {
      wamp::async_connect(executor, url_, {kind}, {},
                          [this, name, done](const boost::system::error_code& ec, wamp::connection_ptr conn) {
                            if (ec) return done(ec, nullptr);
                            auto link = links_->open(name);
                            auto faulty = faulty_connection::wrap(mark_hello(std::move(conn), link), name, plan_,
                                                                  trace_, nullptr, faulty_connection::end::client);
                            faulty->use_clock(clock_);  // link rules' delays on virtual time, if any
                            faulty->use_peer_slicing([link](const wamp::message& m) { return link->arrived(m); });
                            done(ec, faulty);
                          });
    };
    return base;
  }
  base.connect = [this, name](boost::asio::any_io_executor executor, const std::string&,
                              wamp::connect_handler done) {
    auto [client_end, router_end] = wamp::make_inprocess_pair(executor, router_->get_executor(), options_.serializer);
    // Corrupt/truncate rules on messages to the client need raw bytes on the wire.
    std::weak_ptr<wamp::inprocess_connection> router_side = router_end;
    auto faulty = faulty_connection::wrap(router_end, name, plan_, trace_, [router_side](std::string bytes) {
      if (auto r = router_side.lock()) r->send_bytes(std::move(bytes));
    });
    faulty->use_clock(clock_);  // link rules' delays on virtual time, if any
    router_->attach(faulty);
    done({}, client_end);
  };
  return base;
}

AutobahnSync* wamp_fixture::find_client_locked(const std::string& name) {
  for (auto& [n, c] : clients_)
    if (n == name) return c.get();
  return nullptr;
}

AutobahnSync& wamp_fixture::client(const std::string& name, run_options run,
                                   const std::function<void(AutobahnSync&)>& setup) {
  {
    std::unique_lock lock(clients_mutex_);
    for (;;) {
      if (auto* c = find_client_locked(name)) return *c;
      const auto creator = creating_.find(name);
      if (creator == creating_.end()) break;
      if (creator->second == std::this_thread::get_id()) {
        throw std::logic_error("wamp_fixture::client(\"" + name +
                               "\") was asked for while this thread creates it (from its setup or on_challenge)");
      }
      clients_created_.wait(lock);
    }
    creating_.emplace(name, std::this_thread::get_id());
  }
  // Created without the lock: joining may need other clients (a setup or on_challenge that
  // asks for one), and other threads may ask for other clients meanwhile.
  struct creation_ends {
    wamp_fixture& f;
    const std::string& name;
    ~creation_ends() {
      {
        std::lock_guard lock(f.clients_mutex_);
        f.creating_.erase(name);
      }
      f.clients_created_.notify_all();
    }
  } ends{*this, name};
  auto c = std::make_unique<AutobahnSync>(std::vector<std::string>{}, options_for(name, options_.client));
  if (setup) setup(*c);
  run.realm = run.realm == default_realm ? options_.realm.name : run.realm;
  run.url = options_.transport == fixture_transport::inprocess ? "inprocess://" + name : url_;
  run.blocking = false;
  left_->set(name, false);
  c->run(run);
  std::lock_guard lock(clients_mutex_);
  clients_.emplace_back(name, std::move(c));
  return *clients_.back().second;
}

void wamp_fixture::stop_clients() {
  std::vector<std::pair<std::string, std::unique_ptr<AutobahnSync>>> clients;
  {
    std::lock_guard lock(clients_mutex_);
    clients.swap(clients_);
  }
  for (auto& [name, c] : clients) {
    if (c->running()) {
      const auto limit = stop_limit(c->options().leave_timeout);
      detail::watchdog guard(limit, [this, name = name, limit] {
        const std::string report = "wamp_fixture: client '" + name + "' did not stop within " +
                                   std::to_string(limit.count()) +
                                   " ms: a handler of it never returned, or its stop() is stuck\n" + trace_->format();
        if (options_.on_stop_stuck) return options_.on_stop_stuck(report);
        std::fprintf(stderr, "%s\n", report.c_str());
        std::abort();
      });
      try {
        c->stop();
      } catch (const std::exception&) {
        // Stopped under us (the session was lost): nothing to do.
      }
    }
    left_->set(name, true);
  }
}

std::chrono::milliseconds wamp_fixture::stop_limit(std::chrono::milliseconds leave_timeout) const {
  // stop() may wait a leave_timeout for the router's GOODBYE, and one more for the close.
  const auto most = std::chrono::milliseconds::max() / 4;
  if (leave_timeout >= most || options_.stop_timeout >= most) return std::chrono::milliseconds::max();
  return options_.stop_timeout + 2 * leave_timeout;
}

void wamp_fixture::leave(const std::string& name) {
  auto& s = session(name);
  try {
    s.leave();
  } catch (...) {
    left_->set(name, true);
    throw;
  }
  left_->set(name, true);
}

event_handler wamp_fixture::watched_handler(const std::string& name, event_handler handler) {
  return [name, handler = std::move(handler), trace = trace_, left = left_](
             const wamp::list& args, const wamp::dict& kwargs, const event_details& details) {
    const auto note = left->contains(name) ? note_handler_after_leave : note_handler_started;
    trace->record(name, direction::to_client, wamp::event{0, details.publication, details.details, args, kwargs}, {},
                  std::string(note));
    handler(args, kwargs, details);
  };
}

procedure_handler wamp_fixture::watched_procedure(const std::string& name, procedure_handler handler) {
  return [name, handler = std::move(handler), trace = trace_, left = left_](
             const wamp::list& args, const wamp::dict& kwargs, const invocation_details& details) {
    const auto note = left->contains(name) ? note_handler_after_leave : note_handler_started;
    trace->record(name, direction::to_client, wamp::invocation{details.request, 0, details.details, args, kwargs},
                  {}, std::string(note));
    return handler(args, kwargs, details);
  };
}

std::vector<std::string> wamp_fixture::leaks(std::chrono::milliseconds settle) {
  if (sim_) {
    // One thread: once nothing is ready, nothing is on its way.
    sim_->run_ready();
    auto problems = router_leaks();
    for (const auto& rule : plan_->unfired()) problems.push_back("fault rule never fired: " + rule);
    return problems;
  }
  // A connection's end reaches the router asynchronously (a socket's EOF, a posted close), so
  // a session still joined right after its client stopped may only be on its way out: look
  // again until the router is clean or a deadline passes.
  const auto deadline = std::chrono::steady_clock::now() + settle;
  auto problems = router_leaks();
  while (!problems.empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
    problems = router_leaks();
  }
  for (const auto& rule : plan_->unfired()) problems.push_back("fault rule never fired: " + rule);
  return problems;
}

std::vector<std::string> wamp_fixture::router_leaks() {
  return router_->with_core([&](router::router_core& core) {
    std::vector<std::string> out;
    router::realm* r = core.find_realm(options_.realm.name);
    if (!r) return out;
    if (!r->sessions().empty()) out.push_back(std::to_string(r->sessions().size()) + " session(s) still joined");
    // Meta-API subscribers are sessions too, so with no session left these count leaks only.
    if (r->the_dealer().registration_count())
      out.push_back(std::to_string(r->the_dealer().registration_count()) + " registration(s) left");
    if (r->the_broker().subscription_count())
      out.push_back(std::to_string(r->the_broker().subscription_count()) + " subscription(s) left");
    if (r->the_dealer().pending_call_count())
      out.push_back(std::to_string(r->the_dealer().pending_call_count()) + " pending call(s) left");
    return out;
  });
}

}  // namespace autobahn_sync::testing

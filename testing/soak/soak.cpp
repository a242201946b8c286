#include "testing/soak/soak.hpp"

#include <malloc.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "client/autobahn_sync.hpp"
#include "router/router.hpp"
#include "wamp/transport/url.hpp"
#include "testing/soak/router_memory.hpp"

namespace autobahn_sync::testing::soak {
namespace {

using steady = std::chrono::steady_clock;
constexpr const char* realm_name = "soak";
constexpr std::size_t max_errors_kept = 20;

std::string procedure_name(int session) { return "soak.echo." + std::to_string(session); }
std::string topic_name(int topic) { return "soak.topic." + std::to_string(topic); }

// The three non-negative integers of a soak payload ([sender, seq, addressee]), or false.
bool read_payload(const wamp::list& args, std::uint64_t (&out)[3]) {
  if (args.size() != 3) return false;
  for (int i = 0; i < 3; ++i) {
    const auto v = wamp::as_unsigned(args[i]);
    if (!v) return false;
    out[i] = *v;
  }
  return true;
}

// A number field of /proc/self/status ("VmRSS:" in kB, "Threads:"), or 0.
std::size_t read_status_field(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) return std::stoull(line.substr(field.size()));
  }
  return 0;
}

std::size_t read_heap_bytes() {
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

// Each client and each router connection holds a socket: 1000 sessions need ~2000 fds.
void raise_fd_limit(std::size_t needed) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= needed) return;
  limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, needed);
  setrlimit(RLIMIT_NOFILE, &limit);
}

// The soak's view of one session. The callee and subscriber fields are touched only by
// handlers, which run inline on the session's strand (callback_threads = 0), so one at a
// time; the caller and publisher fields only by the driver thread that owns the session.
struct session_slot {
  int index = 0;
  std::unique_ptr<AutobahnSync> app;
  SyncSession* session = nullptr;

  // Callee: the last sequence number each caller sent us (-1: none yet).
  std::vector<std::int32_t> last_call_seq_from;
  // Subscriber: the next sequence number expected from each publisher.
  std::vector<std::uint32_t> next_event_seq_from;

  std::uint64_t calls_to_make = 0;
  std::uint64_t calls_made = 0;
  std::uint64_t publications_to_make = 0;
  std::uint64_t publications_made = 0;
};

struct counters {
  std::atomic<std::uint64_t> operations{0};
  std::atomic<std::uint64_t> calls_made{0}, calls_ok{0}, calls_failed{0}, results_misrouted{0};
  std::atomic<std::uint64_t> invocations{0}, invocations_misrouted{0}, invocations_duplicated{0};
  std::atomic<std::uint64_t> publications{0}, publications_failed{0};
  std::atomic<std::uint64_t> events{0}, events_delivered{0}, events_misrouted{0},
      events_duplicated{0}, events_out_of_order{0};
};

class soak_run {
 public:
  explicit soak_run(const soak_options& o) : options_(o), started_(steady::now()) {
    if (o.sessions < 2) throw std::invalid_argument("--sessions must be at least 2");
    if (o.transports.empty()) throw std::invalid_argument("--transports must name one");
    if (o.subscribers_per_topic < 1) throw std::invalid_argument("subscribers per topic < 1");
    if (o.driver_threads < 1 || o.client_io_threads < 1) {
      throw std::invalid_argument("thread counts must be at least 1");
    }
    if (o.calls / o.sessions >= INT32_MAX || o.events / o.sessions >= INT32_MAX) {
      throw std::invalid_argument("more than 2^31 calls or events per session");
    }
    deadline_ = started_ + o.max_duration;
    report_.options = o;
    report_.options.log = nullptr;
  }
  soak_run(const soak_run&) = delete;
  soak_run& operator=(const soak_run&) = delete;
  // After an exception mid-run: the clients and their threads still need stopping.
  ~soak_run() {
    if (!client_threads_.empty()) shut_down();
  }

  soak_report run() {
    const int n = options_.sessions;
    raise_fd_limit(static_cast<std::size_t>(n) * 2 + 256);
    plan();
    // Everything the checks need is allocated before the first sample.
    slots_.reserve(n);
    for (int i = 0; i < n; ++i) {
      auto slot = std::make_unique<session_slot>();
      slot->index = i;
      slot->last_call_seq_from.assign(n, -1);
      slot->next_event_seq_from.assign(n, 0);
      slot->calls_to_make = calls_of(i);
      slot->publications_to_make = publications_per_session_;
      slots_.push_back(std::move(slot));
    }

    router::router_config config;
    config.realms.push_back({realm_name});
    router_ = std::make_unique<router::router>(config);
    rawsocket_port_ = router_->listen_rawsocket("127.0.0.1", 0);
    websocket_port_ = router_->listen_websocket("127.0.0.1", 0);
    router_->with_core([](router::router_core&) { count_this_thread_as_router(); });
    sample("start");

    client_work_.emplace(client_io_.get_executor());
    for (int i = 0; i < options_.client_io_threads; ++i) {
      client_threads_.emplace_back([this] { client_io_.run(); });
    }

    if (join_all()) {
      sample("joined");
      drive();
      drain();
      sample("end");
    }
    leave_all();
    sample("left");
    shut_down();
    return finish();
  }

 private:
  // ---- the plan: who calls and publishes how much ----
  void plan() {
    const int n = options_.sessions;
    topics_ = std::max(1, n / options_.subscribers_per_topic);
    subscribers_of_topic_.assign(topics_, 0);
    for (int i = 0; i < n; ++i) ++subscribers_of_topic_[topic_of(i)];
    std::uint64_t fan_out_sum = 0;
    for (int p = 0; p < n; ++p) fan_out_sum += fan_out(p);
    publications_per_session_ =
        fan_out_sum == 0 ? 0 : (options_.events + fan_out_sum - 1) / fan_out_sum;
    report_.topics = topics_;
    total_operations_ = options_.calls + publications_per_session_ * n;
  }
  int topic_of(int session) const { return session % topics_; }
  int publish_topic_of(int session) const { return (session + 1) % topics_; }
  // Subscribers receiving one publication of `publisher` (the router excludes the publisher).
  std::uint64_t fan_out(int publisher) const {
    const int t = publish_topic_of(publisher);
    return subscribers_of_topic_[t] - (topic_of(publisher) == t ? 1 : 0);
  }
  std::uint64_t calls_of(int session) const {
    const auto n = static_cast<std::uint64_t>(options_.sessions);
    return options_.calls / n + (static_cast<std::uint64_t>(session) < options_.calls % n ? 1 : 0);
  }
  int call_target(int caller, std::uint64_t seq) const {
    const int n = options_.sessions;
    return static_cast<int>((caller + 1 + seq % (n - 1)) % n);
  }

  void log(const std::string& line) const {
    if (options_.log) options_.log(line);
  }
  void note_error(std::string what) {
    std::lock_guard lock(errors_mutex_);
    if (report_.errors.size() < max_errors_kept) report_.errors.push_back(std::move(what));
  }
  double elapsed() const { return std::chrono::duration<double>(steady::now() - started_).count(); }
  bool past_deadline() const { return steady::now() >= deadline_; }

  void sample(const std::string& label) {
    memory_sample s;
    s.label = label;
    s.elapsed_seconds = elapsed();
    s.operations_done = counters_.operations.load();
    s.rss_bytes = read_status_field("VmRSS:") * 1024;
    s.threads = read_status_field("Threads:");
    s.heap_bytes = read_heap_bytes();
    router_->with_core([&s](router::router_core& core) {
      s.router_heap_bytes = router_live_bytes();
      s.router_connections = core.connection_count();
      if (auto* r = core.find_realm(realm_name)) {
        s.router_sessions = r->sessions().size();
        s.router_registrations = r->the_dealer().registration_count();
        s.router_pending_calls = r->the_dealer().pending_call_count();
        s.router_subscriptions = r->the_broker().subscription_count();
      }
    });
    char line[256];
    std::snprintf(line, sizeof line,
                  "[%7.2fs] %-8s ops %llu, RSS %.1f MiB, heap %.1f MiB, router heap %.2f MiB, "
                  "router: %zu sessions, %zu registrations, %zu subscriptions, %zu pending calls",
                  s.elapsed_seconds, label.c_str(),
                  static_cast<unsigned long long>(s.operations_done), s.rss_bytes / 1048576.0,
                  s.heap_bytes / 1048576.0, s.router_heap_bytes / 1048576.0, s.router_sessions, s.router_registrations,
                  s.router_subscriptions, s.router_pending_calls);
    log(line);
    report_.samples.push_back(std::move(s));
  }

  // ---- handlers (inline on the session's strand) ----
  call_result on_invocation(session_slot& callee, const wamp::list& args,
                            const invocation_details& details) {
    counters_.invocations.fetch_add(1, std::memory_order_relaxed);
    std::uint64_t payload[3] = {};
    const bool readable = read_payload(args, payload);
    const auto [caller, seq, target] = payload;
    if (!readable || caller >= slots_.size() || target != std::uint64_t(callee.index) ||
        details.procedure != procedure_name(callee.index)) {
      counters_.invocations_misrouted.fetch_add(1);
      note_error("session " + std::to_string(callee.index) + " was invoked as " +
                 details.procedure + " with " + wamp::value(args).dump());
      // Answer anyway: the caller's own check then sees the wrong callee.
      return call_result{wamp::list{args, callee.index}};
    }
    auto& last = callee.last_call_seq_from[caller];
    if (static_cast<std::int64_t>(seq) <= last) {
      counters_.invocations_duplicated.fetch_add(1);
      note_error("session " + std::to_string(callee.index) + " got call " +
                 std::to_string(seq) + " of caller " + std::to_string(caller) + " after call " +
                 std::to_string(last));
    } else {
      last = static_cast<std::int32_t>(seq);
    }
    return call_result{wamp::list{caller, seq, target, callee.index}};
  }

  void on_event(session_slot& subscriber, const wamp::list& args, const event_details& details) {
    counters_.events.fetch_add(1, std::memory_order_relaxed);
    std::uint64_t payload[3] = {};
    const bool readable = read_payload(args, payload);
    const auto [publisher, seq, topic] = payload;
    const int own_topic = topic_of(subscriber.index);
    if (!readable || publisher >= slots_.size() || topic != std::uint64_t(own_topic) ||
        publish_topic_of(static_cast<int>(publisher)) != own_topic ||
        publisher == std::uint64_t(subscriber.index) ||
        details.topic != topic_name(own_topic)) {
      counters_.events_misrouted.fetch_add(1);
      note_error("subscriber " + std::to_string(subscriber.index) + " of " +
                 topic_name(own_topic) + " got an event on " + details.topic + ": " +
                 wamp::value(args).dump());
      return;
    }
    auto& next = subscriber.next_event_seq_from[publisher];
    if (seq == next) {
      ++next;
      counters_.events_delivered.fetch_add(1, std::memory_order_relaxed);
      notify_progress_if_drained();
    } else if (seq < next) {
      counters_.events_duplicated.fetch_add(1);
      note_error("subscriber " + std::to_string(subscriber.index) + " got event " +
                 std::to_string(seq) + " of publisher " + std::to_string(publisher) +
                 " again (expected " + std::to_string(next) + ")");
    } else {
      // Delivered, but after a gap: the ones skipped count as lost unless they turn up
      // (then as duplicated: the sequence has moved past them).
      counters_.events_out_of_order.fetch_add(1);
      counters_.events_delivered.fetch_add(1, std::memory_order_relaxed);
      note_error("subscriber " + std::to_string(subscriber.index) + " got event " +
                 std::to_string(seq) + " of publisher " + std::to_string(publisher) +
                 " while expecting " + std::to_string(next));
      next = static_cast<std::uint32_t>(seq + 1);
    }
  }

  void notify_progress_if_drained() {
    if (drain_target_.load() != 0 && counters_.events_delivered.load() >= drain_target_.load()) {
      std::lock_guard lock(progress_mutex_);
      progress_cv_.notify_all();
    }
  }

  // ---- phases ----
  bool join_all() {
    const auto join_started = steady::now();
    client_options co;
    co.serializers = {options_.serializer};
    co.callback_threads = 0;                     // handlers inline: no thread hand-off
    co.spin_wait = std::chrono::microseconds(0);  // many callers on 2 cores: sleep at once
    co.call_timeout = std::chrono::seconds(10);
    co.join_timeout = std::chrono::seconds(30);
    co.leave_timeout = std::chrono::seconds(5);

    for (auto& slot_ptr : slots_) {
      session_slot& slot = *slot_ptr;
      const auto t = options_.transports[slot.index % options_.transports.size()];
      const std::string url = t == transport_kind::rawsocket
                                  ? "rs://127.0.0.1:" + std::to_string(rawsocket_port_)
                                  : "ws://127.0.0.1:" + std::to_string(websocket_port_) + "/ws";
      auto session_options = co;
      if (options_.wrap_client_connection) {
        session_options.connect = [this, index = slot.index](boost::asio::any_io_executor ex,
                                                             const std::string& u,
                                                             wamp::connect_handler done) {
          wamp::async_connect(
              ex, u, {options_.serializer}, {},
              [this, index, done](const boost::system::error_code& ec, wamp::connection_ptr c) {
                done(ec, ec ? nullptr : options_.wrap_client_connection(std::move(c), index));
              });
        };
      }
      slot.app = std::make_unique<AutobahnSync>(std::vector<std::string>{}, session_options);
      slot.app->register_procedure(
          procedure_name(slot.index),
          [this, &slot](const wamp::list& args, const wamp::dict&, const invocation_details& d) {
            return on_invocation(slot, args, d);
          });
      slot.app->subscribe(topic_name(topic_of(slot.index)),
                          [this, &slot](const wamp::list& args, const wamp::dict&,
                                        const event_details& d) { on_event(slot, args, d); });
      run_options ro;
      ro.url = url;
      ro.realm = realm_name;
      ro.callback = [this] {
        joined_.fetch_add(1);
        std::lock_guard lock(progress_mutex_);
        progress_cv_.notify_all();
      };
      slot.app->run_in_io_context(client_io_, ro);
    }
    log("joining " + std::to_string(slots_.size()) + " sessions");
    std::unique_lock lock(progress_mutex_);
    for (;;) {
      if (joined_.load() == options_.sessions) break;
      for (auto& s : slots_) {
        if (auto e = s->app->last_error()) {
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& x) {
            note_error("session " + std::to_string(s->index) + " could not join: " + x.what());
          }
          report_.sessions_joined = joined_.load();
          return false;
        }
      }
      if (past_deadline()) {
        report_.timed_out = true;
        note_error("only " + std::to_string(joined_.load()) + " sessions joined before the deadline");
        report_.sessions_joined = joined_.load();
        return false;
      }
      progress_cv_.wait_for(lock, std::chrono::milliseconds(100));
    }
    lock.unlock();
    for (auto& s : slots_) s->session = &s->app->session();
    report_.sessions_joined = joined_.load();
    report_.join_seconds = std::chrono::duration<double>(steady::now() - join_started).count();
    return true;
  }

  void drive_sessions(int driver) {
    std::vector<session_slot*> mine;
    for (std::size_t i = driver; i < slots_.size(); i += options_.driver_threads) {
      mine.push_back(slots_[i].get());
    }
    publish_options ack;
    ack.acknowledge = true;
    bool work_left = true;
    while (work_left && !stop_driving_.load()) {
      work_left = false;
      for (session_slot* s : mine) {
        if (stop_driving_.load()) return;
        if (s->calls_made < s->calls_to_make) {
          call_once(*s);
          work_left = true;
        }
        if (s->publications_made < s->publications_to_make) {
          publish_once(*s, ack);
          work_left = true;
        }
      }
    }
  }

  void call_once(session_slot& s) {
    const std::uint64_t seq = s.calls_made++;
    const int target = call_target(s.index, seq);
    counters_.calls_made.fetch_add(1, std::memory_order_relaxed);
    try {
      auto result = s.session->call(procedure_name(target), wamp::list{s.index, seq, target});
      const auto& a = result.args;
      const bool echoes = a.size() == 4 && wamp::as_unsigned(a[0]) == std::uint64_t(s.index) &&
                          wamp::as_unsigned(a[1]) == seq &&
                          wamp::as_unsigned(a[2]) == std::uint64_t(target) &&
                          wamp::as_unsigned(a[3]) == std::uint64_t(target);
      if (echoes) {
        counters_.calls_ok.fetch_add(1, std::memory_order_relaxed);
      } else {
        counters_.results_misrouted.fetch_add(1);
        note_error("caller " + std::to_string(s.index) + " call " + std::to_string(seq) +
                   " to " + std::to_string(target) + " got " + wamp::value(a).dump());
      }
    } catch (const std::exception& e) {
      counters_.calls_failed.fetch_add(1);
      note_error("caller " + std::to_string(s.index) + " call " + std::to_string(seq) + " to " +
                 std::to_string(target) + " failed: " + e.what());
    }
    progress();
  }

  void publish_once(session_slot& s, const publish_options& ack) {
    // The sequence number advances even when publish() throws: an event it did deliver
    // must not look like a duplicate of the next one.
    const std::uint64_t seq = s.publications_made++;
    const int topic = publish_topic_of(s.index);
    counters_.publications.fetch_add(1, std::memory_order_relaxed);
    try {
      s.session->publish(topic_name(topic), wamp::list{s.index, seq, topic}, {}, ack);
    } catch (const std::exception& e) {
      counters_.publications_failed.fetch_add(1);
      note_error("publisher " + std::to_string(s.index) + " event " + std::to_string(seq) +
                 " failed: " + e.what());
    }
    progress();
  }

  void progress() {
    const auto done = counters_.operations.fetch_add(1, std::memory_order_relaxed) + 1;
    if (done == warmup_at_ || done == middle_at_ || done == total_operations_) {
      std::lock_guard lock(progress_mutex_);
      progress_cv_.notify_all();
    }
  }

  void drive() {
    warmup_at_ = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(
                                                total_operations_ * options_.warmup_fraction));
    middle_at_ = std::max<std::uint64_t>(warmup_at_, total_operations_ / 2);
    log("workload: " + std::to_string(options_.calls) + " calls, " +
        std::to_string(publications_per_session_ * options_.sessions) + " publications on " +
        std::to_string(topics_) + " topics, " + std::to_string(options_.driver_threads) +
        " driver threads");
    workload_started_ = steady::now();
    std::vector<std::thread> drivers;
    for (int d = 0; d < options_.driver_threads; ++d) {
      drivers.emplace_back([this, d] { drive_sessions(d); });
    }
    bool warmed = false, middle = false;
    std::unique_lock lock(progress_mutex_);
    while (counters_.operations.load() < total_operations_) {
      if (past_deadline()) {
        report_.timed_out = true;
        note_error("the deadline passed after " + std::to_string(counters_.operations.load()) +
                   " of " + std::to_string(total_operations_) + " operations");
        stop_driving_.store(true);
        break;
      }
      progress_cv_.wait_for(lock, std::chrono::milliseconds(100));
      const auto done = counters_.operations.load();
      if (!warmed && done >= warmup_at_) {
        warmed = true;
        lock.unlock();
        sample("warm-up");
        lock.lock();
      }
      if (!middle && done >= middle_at_ && done < total_operations_) {
        middle = true;
        lock.unlock();
        sample("middle");
        lock.lock();
      }
    }
    lock.unlock();
    for (auto& t : drivers) t.join();
    // Runs shorter than the sampling period: the points still get a sample each.
    if (!warmed) sample("warm-up");
    if (!middle) sample("middle");
  }

  // Waits until every event published has been delivered in order, at most drain_timeout
  // (every publication was acknowledged, so only the subscribers' queues remain) and never
  // past the deadline. What is then missing is lost.
  void drain() {
    std::uint64_t expected = 0;
    for (auto& s : slots_) expected += s->publications_made * fan_out(s->index);
    report_.events_expected = expected;
    drain_target_.store(std::max<std::uint64_t>(expected, 1));
    const auto give_up = std::min(deadline_, steady::now() + options_.drain_timeout);
    std::unique_lock lock(progress_mutex_);
    while (counters_.events_delivered.load() < expected && steady::now() < give_up) {
      progress_cv_.wait_for(lock, std::chrono::milliseconds(100));
    }
    report_.workload_seconds =
        std::chrono::duration<double>(steady::now() - workload_started_).count();
    if (counters_.events_delivered.load() < expected && past_deadline()) {
      report_.timed_out = true;
      note_error("the deadline passed with " +
                 std::to_string(expected - counters_.events_delivered.load()) +
                 " events not delivered");
    }
  }

  void leave_all() {
    // Stopping waits for the router's GOODBYE: in parallel, one thread per driver.
    std::vector<std::thread> leavers;
    std::atomic<std::size_t> next{0};
    for (int d = 0; d < options_.driver_threads; ++d) {
      leavers.emplace_back([this, &next] {
        for (std::size_t i = next++; i < slots_.size(); i = next++) {
          auto& app = slots_[i]->app;
          if (!app) continue;
          try {
            if (app->running()) app->stop();
          } catch (const std::exception& e) {
            note_error("session " + std::to_string(i) + " could not stop: " + e.what());
          }
        }
      });
    }
    for (auto& t : leavers) t.join();
    // The router frees a session when its connection is gone: wait for that, bounded (also
    // past the deadline: leaving is part of the check). A client stopped mid-join closed its
    // connection as it arrived, which the router may still be handing over from its listener.
    const auto give_up = steady::now() + std::chrono::seconds(10);
    // Handshakes first: once none is in progress, every connection a client completed is
    // attached, so the count read after it misses none (the other order can).
    while ((router_->handshakes_in_progress() != 0 || router_->connection_count() != 0) &&
           steady::now() < give_up) {
      std::unique_lock lock(progress_mutex_);
      progress_cv_.wait_for(lock, std::chrono::milliseconds(20));
    }
  }

  void shut_down() {
    // The clients' strands live in client_io_: destroy the clients before it stops.
    for (auto& s : slots_) s->app.reset();
    client_work_.reset();
    client_io_.stop();
    for (auto& t : client_threads_) t.join();
    client_threads_.clear();
    if (router_) router_->stop();
  }

  soak_report finish() {
    auto& r = report_;
    r.calls_made = counters_.calls_made;
    r.calls_ok = counters_.calls_ok;
    r.calls_failed = counters_.calls_failed;
    r.results_misrouted = counters_.results_misrouted;
    r.invocations_received = counters_.invocations;
    r.invocations_misrouted = counters_.invocations_misrouted;
    r.invocations_duplicated = counters_.invocations_duplicated;
    r.publications = counters_.publications;
    r.publications_failed = counters_.publications_failed;
    r.events_received = counters_.events;
    r.events_misrouted = counters_.events_misrouted;
    r.events_duplicated = counters_.events_duplicated;
    r.events_out_of_order = counters_.events_out_of_order;
    r.events_lost = r.events_expected - std::min(r.events_expected, counters_.events_delivered.load());
    // Every call made reached its callee exactly once.
    if (r.invocations_received != r.calls_made && r.calls_failed == 0) {
      note_error(std::to_string(r.invocations_received) + " invocations for " +
                 std::to_string(r.calls_made) + " calls");
    }

    const memory_sample* warm = nullptr;
    const memory_sample* middle = nullptr;
    const memory_sample* end = nullptr;
    const memory_sample* left = nullptr;
    for (const auto& s : r.samples) {
      if (s.label == "warm-up") warm = &s;
      if (s.label == "middle") middle = &s;
      if (s.label == "end") end = &s;
      if (s.label == "left") left = &s;
    }
    if (warm && middle && end) {
      auto growth = [](std::size_t from, std::size_t to) { return to > from ? to - from : 0; };
      r.memory_tolerance_bytes = std::max(
          options_.memory_tolerance_floor_bytes,
          static_cast<std::size_t>(warm->router_heap_bytes * options_.memory_tolerance_fraction));
      r.router_heap_growth_bytes =
          std::max(growth(warm->router_heap_bytes, middle->router_heap_bytes),
                   growth(warm->router_heap_bytes, end->router_heap_bytes));
      r.memory_flat = r.router_heap_growth_bytes <= r.memory_tolerance_bytes;
      if (!r.memory_flat) note_error("the router's heap grew past the tolerance after warm-up");
      r.rss_growth_bytes = growth(warm->rss_bytes, end->rss_bytes);
    }
    r.router_state_freed = left && left->router_connections == 0 && left->router_sessions == 0 &&
                           left->router_registrations == 0 && left->router_subscriptions == 0 &&
                           left->router_pending_calls == 0;
    if (!r.router_state_freed) {
      note_error(left ? "the router still holds state after every session left: " +
                            std::to_string(left->router_connections) + " connections, " +
                            std::to_string(left->router_sessions) + " sessions, " +
                            std::to_string(left->router_registrations) + " registrations, " +
                            std::to_string(left->router_subscriptions) + " subscriptions, " +
                            std::to_string(left->router_pending_calls) + " pending calls"
                      : "the router's state after every session left was not sampled");
    }
    r.total_seconds = elapsed();
    return std::move(r);
  }

  soak_options options_;
  steady::time_point started_;
  steady::time_point deadline_;
  steady::time_point workload_started_;
  soak_report report_;
  std::mutex errors_mutex_;

  int topics_ = 1;
  std::vector<int> subscribers_of_topic_;
  std::uint64_t publications_per_session_ = 0;
  std::uint64_t total_operations_ = 0;
  std::uint64_t warmup_at_ = 0, middle_at_ = 0;

  std::unique_ptr<router::router> router_;
  unsigned short rawsocket_port_ = 0, websocket_port_ = 0;
  boost::asio::io_context client_io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>
      client_work_;
  std::vector<std::thread> client_threads_;
  std::vector<std::unique_ptr<session_slot>> slots_;

  counters counters_;
  std::atomic<int> joined_{0};
  std::atomic<bool> stop_driving_{false};
  std::atomic<std::uint64_t> drain_target_{0};
  std::mutex progress_mutex_;
  std::condition_variable progress_cv_;
};

}  // namespace

soak_report run_soak(const soak_options& options) { return soak_run(options).run(); }

}  // namespace autobahn_sync::testing::soak

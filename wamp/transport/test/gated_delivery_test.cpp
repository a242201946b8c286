// The gated executor (a strand inside a gate that other threads may take while it is idle)
// and the in-process transport's delivery through it: on the sender's thread when the
// receiver's gate is free and accepts it, deferred to the end of the hold when this thread
// already holds it, posted otherwise, and always in order.
#include "wamp/transport/gated_executor.hpp"

#include <catch2/catch.hpp>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "wamp/transport/inprocess.hpp"

namespace wamp = autobahn_sync::wamp;
namespace asio = boost::asio;

namespace {

wamp::gated_executor gated_on(asio::io_context& io, bool accepts_delivery) {
  auto g = std::make_shared<wamp::gate>();
  g->set_accepts_delivery(accepts_delivery);
  return wamp::gated_executor(asio::make_strand(asio::any_io_executor(io.get_executor())), g);
}

wamp::message call_numbered(wamp::id i) { return wamp::call{i, {}, "com.example.f", {i}}; }

wamp::id request_of(const wamp::message& m) { return std::get<wamp::call>(m).request; }

// What one end received, and whether it ran inside its own gate each time.
struct receiver {
  const wamp::gate* own_gate = nullptr;
  std::vector<wamp::id> requests;
  std::vector<std::thread::id> threads;
  bool always_inside_gate = true;
  wamp::connection_handler handler() {
    return {[this](wamp::message&& m) {
              requests.push_back(request_of(m));
              threads.push_back(std::this_thread::get_id());
              if (!own_gate->held_here()) always_inside_gate = false;
            },
            nullptr, nullptr};
  }
};

}  // namespace

TEST_CASE("a gate: deferred work runs in order as this thread's hold ends, also after a throw", "[unit]") {
  wamp::gate g;
  std::vector<std::string> log;
  CHECK_FALSE(g.held_here());
  CHECK(g.try_run_inline([&] {
    CHECK(g.held_here());
    CHECK(wamp::gate::borrowed_here());
    g.defer([&] { log.push_back("first"); });
    g.defer([&] {
      log.push_back("second");
      g.defer([&] { log.push_back("deferred by deferred work"); });
    });
    log.push_back("body");
    return true;
  }));
  CHECK(log == std::vector<std::string>{"body", "first", "second", "deferred by deferred work"});
  CHECK_FALSE(g.held_here());
  CHECK_FALSE(wamp::gate::borrowed_here());

  log.clear();
  CHECK_THROWS_AS(g.try_run_inline([&]() -> bool {
    g.defer([&] { log.push_back("still runs"); });
    throw std::runtime_error("boom");
  }),
                  std::runtime_error);
  CHECK(log == std::vector<std::string>{"still runs"});
}

TEST_CASE("a gate: a thread holds several, and never enters one it holds or one another thread holds", "[unit]") {
  wamp::gate outer, inner;
  CHECK(outer.try_run_inline([&] {
    CHECK(inner.try_run_inline([&] {
      CHECK(outer.held_here());
      CHECK(inner.held_here());
      CHECK_FALSE(outer.try_run_inline([] { return true; }));  // no re-entry up the stack
      return true;
    }));
    CHECK_FALSE(inner.held_here());
    return true;
  }));

  // Work posted to the gated strand holds the gate on the io_context's thread.
  asio::io_context io;
  auto ex = gated_on(io, false);
  std::promise<void> entered, release;
  bool running_in = false, borrowed = true;  // checked on this thread (Catch2 is not thread-safe)
  asio::post(ex, [&] {
    running_in = ex.running_in_this_thread();
    borrowed = wamp::gate::borrowed_here();  // false: the strand's own work
    entered.set_value();
    release.get_future().wait();
  });
  CHECK_FALSE(ex.gate()->try_run_inline([] { return true; }));  // queued on the strand
  std::thread t([&] { io.run(); });
  entered.get_future().wait();
  CHECK_FALSE(ex.gate()->try_run_inline([] { return true; }));  // held by the io_context's thread
  release.set_value();
  t.join();
  CHECK(running_in);
  CHECK_FALSE(borrowed);
  CHECK(ex.gate()->try_run_inline([] { return true; }));  // idle again
}

namespace {

// Holds `g` on a thread of its own until release() (so other threads find it busy), and
// records which thread ran what inside it.
struct gate_holder {
  explicit gate_holder(wamp::gate& g) : thread([this, &g] {
    g.try_run_inline([this] {
      entered.set_value();
      go.get_future().wait();
      return true;
    });
  }) {
    entered.get_future().wait();
  }
  void release() {
    go.set_value();
    thread.join();
  }
  std::promise<void> entered, go;
  std::thread thread;
};

}  // namespace

TEST_CASE("a gate: work handed over to the thread inside runs there, in order, before the gate is free", "[unit]") {
  asio::io_context io;
  auto ex = gated_on(io, false);
  wamp::gate& g = *ex.gate();
  std::vector<std::string> log;  // written inside the gate only
  std::vector<std::thread::id> ran_on;
  int handed = 0;
  auto record = [&](std::string what) {
    return [&, what] {
      log.push_back(what);
      ran_on.push_back(std::this_thread::get_id());
    };
  };
  auto hand_over = [&](std::string what) {
    return [&, what] {
      ++handed;
      return std::function<void()>(record(what));
    };
  };

  // A free gate: `f` runs here at once, nothing is handed over.
  CHECK(g.run_or_hand_over(record("inline"), hand_over("never")));
  CHECK(log == std::vector<std::string>{"inline"});
  CHECK(ran_on.back() == std::this_thread::get_id());
  CHECK(handed == 0);

  log.clear();
  ran_on.clear();
  gate_holder holder(g);
  CHECK(g.run_or_hand_over(record("never"), hand_over("first")));
  CHECK(g.run_or_hand_over(record("never"), hand_over("second")));
  CHECK(handed == 2);
  // Posted after them: runs after them (the strand's turn comes once the holder left).
  asio::post(ex, record("posted"));
  // Queued strand work is never overtaken: neither run nor handed over.
  CHECK_FALSE(g.run_or_hand_over(record("never"), hand_over("never")));
  CHECK(handed == 2);
  const auto holder_id = holder.thread.get_id();
  holder.release();
  CHECK(log == std::vector<std::string>{"first", "second"});
  CHECK(ran_on == std::vector<std::thread::id>{holder_id, holder_id});
  io.run();
  CHECK(log == std::vector<std::string>{"first", "second", "posted"});

  // From inside the gate: the caller posts instead (it would run after its own step).
  bool refused_inside = false;
  CHECK(g.try_run_inline([&] {
    refused_inside = !g.run_or_hand_over(record("never"), hand_over("never"));
    return true;
  }));
  CHECK(refused_inside);
}

TEST_CASE("a gate: the thread inside runs a bounded number of handed-over functions, then the gate refuses more", "[unit]") {
  // Otherwise threads that keep handing over (callers of one in-process session) could keep
  // the thread inside there for ever: its own call would not return.
  wamp::gate g;
  int ran = 0;  // inside the gate only
  std::promise<void> last_started, last_may_end;
  gate_holder holder(g);
  auto hand = [&](std::function<void()> f) { return g.run_or_hand_over([] {}, [&] { return f; }); };
  const auto budget = static_cast<int>(wamp::gate::handed_per_hold);
  for (int i = 0; i < budget - 1; ++i) CHECK(hand([&] { ++ran; }));
  // The last one of the budget waits, on the holder's thread, while we try once more.
  CHECK(hand([&] {
    ++ran;
    last_started.set_value();
    last_may_end.get_future().wait();
  }));
  std::thread releasing([&] { holder.release(); });
  last_started.get_future().wait();
  bool handed_over = false;
  CHECK_FALSE(g.run_or_hand_over([] {}, [&] {
    handed_over = true;
    return std::function<void()>([] {});
  }));  // the caller would post it
  CHECK_FALSE(handed_over);
  last_may_end.set_value();
  releasing.join();
  CHECK(ran == budget);

  // Taken afresh, the gate accepts hand-overs again.
  gate_holder next(g);
  CHECK(hand([&] { ++ran; }));
  next.release();
  CHECK(ran == budget + 1);
}

TEST_CASE("a gate: work handed over just as the thread inside leaves runs on the thread that handed it over", "[unit]") {
  // The holder leaves between the hand-over's try_lock and its push: nobody is inside to run
  // it, so the thread that handed it over must take the gate and run it itself.
  wamp::gate g;
  static gate_holder* leaving = nullptr;
  gate_holder holder(g);
  leaving = &holder;
  wamp::gate::on_busy_for_tests.store([](wamp::gate&) { leaving->release(); });
  std::thread::id ran_on;
  const bool taken = g.run_or_hand_over([] {}, [&] {
    return std::function<void()>([&] { ran_on = std::this_thread::get_id(); });
  });
  wamp::gate::on_busy_for_tests.store(nullptr);
  CHECK(taken);
  CHECK(ran_on == std::this_thread::get_id());
  CHECK_FALSE(g.held_here());
}

TEST_CASE("a gate: work handed over to a thread whose own work throws still runs as it leaves", "[unit]") {
  wamp::gate g;
  std::promise<void> entered, go;
  bool threw = false;  // read after join()
  std::thread holder([&] {
    try {
      g.try_run_inline([&]() -> bool {
        entered.set_value();
        go.get_future().wait();
        throw std::runtime_error("the holder's own work failed");
      });
    } catch (const std::runtime_error&) {
      threw = true;
    }
  });
  entered.get_future().wait();
  bool ran = false;
  CHECK(g.run_or_hand_over([] {}, [&] { return std::function<void()>([&] { ran = true; }); }));
  go.set_value();
  holder.join();
  CHECK(threw);
  CHECK(ran);  // run as the holder left, not left for whoever comes next
}

TEST_CASE("a gate: nothing handed over is lost while threads take and leave it at random", "[unit]") {
  // Each thread's function either runs on it, or is handed to whoever is inside, which runs
  // it before it leaves; one handed over just as the holder leaves is taken over by either.
  // (The deterministic test of that case is the one above.)
  wamp::gate g;
  constexpr int threads = 4, each = 20000;
  long counter = 0;  // inside the gate only
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < each; ++i) {
        // Refused (the thread inside ran its budget): without a strand to post to, try again.
        while (!g.run_or_hand_over([&] { ++counter; }, [&] { return std::function<void()>([&] { ++counter; }); })) {
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  // Read without taking the gate, which would run anything left behind first.
  CHECK(counter == long{threads} * each);
}

TEST_CASE("in-process: a message is delivered on the sender's thread when the receiver's gate is free and accepts it", "[unit]") {
  asio::io_context io;  // nobody runs it: whatever is posted waits
  auto sender_ex = gated_on(io, true);
  auto receiver_ex = gated_on(io, true);
  auto [a, b] = wamp::make_inprocess_pair(sender_ex, receiver_ex, &wamp::msgpack_serializer());
  receiver rb{receiver_ex.gate().get()};
  a->start({});
  b->start(rb.handler());
  REQUIRE_FALSE(a->send(call_numbered(1)));
  REQUIRE(rb.requests == std::vector<wamp::id>{1});
  CHECK(rb.threads[0] == std::this_thread::get_id());
  CHECK(rb.always_inside_gate);

  // Not accepting: posted to the receiver's executor; later messages queue behind it even
  // once it accepts again, so nothing overtakes.
  receiver_ex.gate()->set_accepts_delivery(false);
  REQUIRE_FALSE(a->send(call_numbered(2)));
  REQUIRE_FALSE(a->send(call_numbered(3)));
  receiver_ex.gate()->set_accepts_delivery(true);
  REQUIRE_FALSE(a->send(call_numbered(4)));
  CHECK(rb.requests == std::vector<wamp::id>{1});
  io.run();
  CHECK(rb.requests == std::vector<wamp::id>{1, 2, 3, 4});
  CHECK(rb.always_inside_gate);

  // Inline again once everything posted was delivered.
  REQUIRE_FALSE(a->send(call_numbered(5)));
  CHECK(rb.requests == std::vector<wamp::id>{1, 2, 3, 4, 5});

  // Both owners must accept: a sender that does not (a client still joining) posts.
  sender_ex.gate()->set_accepts_delivery(false);
  REQUIRE_FALSE(a->send(call_numbered(50)));
  CHECK(rb.requests.size() == 5);
  io.restart();
  io.run();
  CHECK(rb.requests.back() == 50);
  sender_ex.gate()->set_accepts_delivery(true);

  // A closed receiver gets nothing more (the sender learnt of the close at once, inline).
  b->close();
  CHECK(a->send(call_numbered(6)) == wamp::errc::not_connected);
  io.restart();
  io.run();
  CHECK(rb.requests == std::vector<wamp::id>{1, 2, 3, 4, 5, 50});
}

TEST_CASE("in-process: an answer to an end whose gate this thread holds waits until the hold ends", "[unit]") {
  asio::io_context io;
  auto a_ex = gated_on(io, true);
  auto b_ex = gated_on(io, true);
  auto [a, b] = wamp::make_inprocess_pair(a_ex, b_ex, nullptr);
  std::vector<std::string> log;
  a->start({[&](wamp::message&& m) { log.push_back("a got " + std::to_string(request_of(m))); }, nullptr, nullptr});
  b->start({[&, b = b.get()](wamp::message&& m) {
              log.push_back("b got " + std::to_string(request_of(m)));
              // b answers twice at once: a (up the stack, in the middle of its send) gets
              // both after that send, in order.
              b->send(call_numbered(request_of(m) * 10));
              b->send(call_numbered(request_of(m) * 10 + 1));
              log.push_back("b answered");
            },
            nullptr, nullptr});
  // As a client's blocked caller does: take a's gate and send from inside it.
  CHECK(a_ex.gate()->try_run_inline([&] {
    REQUIRE_FALSE(a->send(call_numbered(7)));
    log.push_back("a's send returned");
    return true;
  }));
  CHECK(log == std::vector<std::string>{"b got 7", "b answered", "a's send returned", "a got 70", "a got 71"});
  CHECK(io.poll() == 0);  // nothing was posted
}

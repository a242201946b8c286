// The blocking client over the real in-process transport with the JSON and MsgPack
// serializers, against a router end scripted at the byte level: what routers actually send
// (null kwargs, as fox-wamp does) and authentication answers computed by the client.
#include "client/autobahn_sync.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <catch2/catch.hpp>
#include <atomic>
#include <functional>
#include <future>
#include <thread>

#include "wamp/auth/cryptosign.hpp"
#include "wamp/auth/secrets.hpp"
#include "wamp/auth/wampcra.hpp"
#include "wamp/transport/inprocess.hpp"

using namespace autobahn_sync;
using namespace std::chrono_literals;
namespace w = autobahn_sync::wamp;

namespace {

/// The router end of an in-process pair, on its own I/O thread, answering with `script`.
struct scripted_router {
  using script_fn = std::function<void(w::message&&, w::inprocess_connection&)>;
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work =
      boost::asio::make_work_guard(io);
  std::thread thread{[this] { io.run(); }};
  const w::serializer* serializer = &w::json_serializer();
  script_fn script;
  std::shared_ptr<w::inprocess_connection> end;

  ~scripted_router() { stop(); }
  void stop() {
    if (!thread.joinable()) return;
    work.reset();
    io.stop();
    thread.join();
  }
  /// Declare the result after the client: the router thread then stops before the client's
  /// io_context is destroyed (the router end posts into it).
  struct stopper {
    scripted_router& router;
    ~stopper() { router.stop(); }
  };
  [[nodiscard]] stopper stop_first() { return stopper{*this}; }

  connector make_connector() {
    return [this](boost::asio::any_io_executor ex, const std::string&, w::connect_handler done) {
      auto pair = w::make_inprocess_pair(ex, io.get_executor(), serializer);
      end = pair.second;
      boost::asio::post(io, [this, router_end = pair.second] {
        // A raw pointer: the handler lives inside the connection it would otherwise keep alive.
        auto* raw = router_end.get();
        router_end->start(w::connection_handler{
            [this, raw](w::message&& m) { script(std::move(m), *raw); }, {}, {}});
      });
      boost::asio::post(ex, [done, client_end = pair.first] { done({}, client_end); });
    };
  }
};

client_options options_for(scripted_router& r) {
  client_options o;
  o.connect = r.make_connector();
  o.call_timeout = 10s;
  o.join_timeout = 10s;
  o.leave_timeout = 2s;
  return o;
}

void answer_goodbye(const w::message& m, w::inprocess_connection& c) {
  if (std::holds_alternative<w::goodbye>(m)) c.send(w::goodbye{{}, "wamp.close.goodbye_and_out"});
}

}  // namespace

TEST_CASE("null args and kwargs from the router are read as empty", "[client][inprocess]") {
  scripted_router router;
  router.serializer = GENERATE(&w::json_serializer(), &w::msgpack_serializer());
  router.script = [&](w::message&& m, w::inprocess_connection& c) {
    if (std::holds_alternative<w::hello>(m)) c.send(w::welcome{77, {}});
    if (auto* call = std::get_if<w::call>(&m)) {
      // [RESULT, request, {}, [5], null], as fox-wamp sends it.
      w::value raw = w::value::array({50, call->request, w::value::object(), {5}, nullptr});
      std::string bytes;
      if (router.serializer == &w::json_serializer()) {
        bytes = raw.dump();
      } else {
        auto packed = w::value::to_msgpack(raw);
        bytes.assign(packed.begin(), packed.end());
      }
      c.send_bytes(bytes);
    }
    answer_goodbye(m, c);
  };
  AutobahnSync app({}, options_for(router));
  auto router_stops_first = router.stop_first();
  app.run();
  auto r = app.session().call("com.five");
  CHECK(r.value() == 5);
  CHECK(r.kwargs.empty());
  app.stop();
}

TEST_CASE("invalid bytes from the router are a ProtocolError", "[client][inprocess]") {
  scripted_router router;
  router.script = [&](w::message&& m, w::inprocess_connection& c) {
    if (std::holds_alternative<w::hello>(m)) c.send(w::welcome{77, {}});
    if (std::holds_alternative<w::call>(m)) c.send_bytes("[50, \"not an id\"");
  };
  AutobahnSync app({}, options_for(router));
  auto router_stops_first = router.stop_first();
  app.run();
  CHECK_THROWS_AS(app.session().call("com.x"), ProtocolError);
  app.stop();
}

TEST_CASE("WAMP-CRA: the client signs the challenge, deriving the key for a salted secret",
          "[client][inprocess][auth]") {
  scripted_router router;
  const bool salted = GENERATE(false, true);
  const std::string challenge = R"({"authid":"joe","nonce":"n1"})";
  std::promise<std::string> signature;
  router.script = [&](w::message&& m, w::inprocess_connection& c) {
    if (std::holds_alternative<w::hello>(m)) {
      w::dict extra{{"challenge", challenge}};
      if (salted) {
        extra["salt"] = "salt123";
        extra["iterations"] = 100;
        extra["keylen"] = 32;
      }
      c.send(w::challenge{"wampcra", extra});
    }
    if (auto* a = std::get_if<w::authenticate>(&m)) {
      signature.set_value(a->signature);
      c.send(w::welcome{5, {{"authmethod", "wampcra"}}});
    }
    answer_goodbye(m, c);
  };
  auto o = options_for(router);
  o.secret = "secret123";
  AutobahnSync app({"wampcra"}, o);
  auto router_stops_first = router.stop_first();
  app.run(default_url, "realm1", {}, "joe");
  auto f = signature.get_future();
  REQUIRE(f.wait_for(10s) == std::future_status::ready);
  const auto key = salted ? w::auth::wampcra_derive_key("secret123", "salt123", 100, 32)
                          : std::string("secret123");
  CHECK(w::auth::wampcra_verify(key, challenge, f.get()));
  app.stop();
}

namespace {

// Joins as "joe" offering wampcra, with `credentials` set on the client, against a router
// that answers the HELLO with `challenge`. The join must fail: returns the ABORT the client
// sent, and how many AUTHENTICATEs came before it.
std::pair<w::abort, int> refused_challenge(const w::challenge& challenge,
                                           const std::function<void(client_options&)>& credentials) {
  scripted_router router;
  std::promise<w::abort> aborted;
  std::atomic<int> authenticates{0};
  router.script = [&](w::message&& m, w::inprocess_connection& c) {
    if (std::holds_alternative<w::hello>(m)) c.send(challenge);
    if (std::holds_alternative<w::authenticate>(m)) ++authenticates;
    if (auto* a = std::get_if<w::abort>(&m)) aborted.set_value(*a);
  };
  auto o = options_for(router);
  credentials(o);
  AutobahnSync app({"wampcra"}, o);
  auto router_stops_first = router.stop_first();
  CHECK_THROWS_AS(app.run(default_url, "realm1", {}, "joe"), AbortError);
  auto f = aborted.get_future();
  REQUIRE(f.wait_for(10s) == std::future_status::ready);
  return {f.get(), authenticates.load()};
}

}  // namespace

TEST_CASE("the built-in credentials answer only a method the client offered", "[client][inprocess][auth]") {
  // The client offers wampcra and also holds a ticket: a router that challenges "ticket"
  // must not get it in clear.
  const auto [abort, authenticates] = refused_challenge(w::challenge{"ticket", {}}, [](client_options& o) {
    o.secret = "secret123";
    o.ticket = "the-ticket";
  });
  CHECK(abort.reason == "wamp.error.cannot_authenticate");
  CHECK(abort.details.at("message") == "the router challenged with authmethod 'ticket', which this client did not offer");
  CHECK(authenticates == 0);
}

TEST_CASE("WAMP-CRA: a salted challenge asking for too much work or memory is refused",
          "[client][inprocess][auth]") {
  const auto [name, value] = GENERATE(std::pair<std::string, std::int64_t>{"iterations", 1'000'000'000},
                                      std::pair<std::string, std::int64_t>{"keylen", 1 << 30},
                                      std::pair<std::string, std::int64_t>{"iterations", 0},
                                      std::pair<std::string, std::int64_t>{"keylen", -32});
  CAPTURE(name, value);
  w::dict extra{{"challenge", "{}"}, {"salt", "salt123"}, {"iterations", 1000}, {"keylen", 32}};
  extra[name] = value;
  const auto [abort, authenticates] =
      refused_challenge(w::challenge{"wampcra", extra}, [](client_options& o) { o.secret = "secret123"; });
  CHECK(abort.reason == "wamp.error.cannot_authenticate");
  CHECK_THAT(abort.details.at("message").get<std::string>(), Catch::Contains(name + " is not from 1 to"));
}

TEST_CASE("cryptosign: HELLO carries the public key and the challenge is signed",
          "[client][inprocess][auth]") {
  scripted_router router;
  const std::string seed_hex(64, '7');
  auto key = w::auth::ed25519_key::from_seed_hex(seed_hex);
  REQUIRE(key);
  const std::string challenge_hex(64, 'a');
  std::promise<std::pair<std::string, std::string>> seen;  // pubkey, signature
  std::string pubkey;
  router.script = [&](w::message&& m, w::inprocess_connection& c) {
    if (auto* h = std::get_if<w::hello>(&m)) {
      pubkey = h->details["authextra"].value("pubkey", "");
      c.send(w::challenge{"cryptosign", {{"challenge", challenge_hex}}});
    }
    if (auto* a = std::get_if<w::authenticate>(&m)) {
      seen.set_value({pubkey, a->signature});
      c.send(w::welcome{5, {}});
    }
    answer_goodbye(m, c);
  };
  auto o = options_for(router);
  o.private_key = seed_hex;
  AutobahnSync app({"cryptosign"}, o);
  auto router_stops_first = router.stop_first();
  app.run();
  auto f = seen.get_future();
  REQUIRE(f.wait_for(10s) == std::future_status::ready);
  auto [pk, sig] = f.get();
  CHECK(pk == key->public_key_hex());
  CHECK(w::auth::cryptosign_verify(pk, *w::auth::hex_decode(challenge_hex), sig));
  app.stop();
}

// End to end over TLS: AutobahnSync clients against the project's router listening with a
// certificate made at test time (wss:// and rss://, each serializer), and the client's
// refusals (untrusted certificate, host name mismatch) as ConnectionRefusedError saying why.
#include "client/autobahn_sync.hpp"

#include <catch2/catch.hpp>

#include "client/errors.hpp"
#include "router/router.hpp"
#include "wamp/transport/test/test_certificates.hpp"

using namespace autobahn_sync;
using namespace std::chrono_literals;
namespace w = autobahn_sync::wamp;

namespace {

const w::test::test_pki& pki() { return w::test::test_pki::get(); }

// A router with realm1 listening for wss:// and rss:// clients on ephemeral ports.
struct tls_router {
  router::router r;
  std::string wss_url;
  std::string rss_url;

  tls_router() : r(config()) {
    const w::tls_server_config certificate{pki().server_chain_pem, pki().server_key_pem};
    wss_url = "wss://127.0.0.1:" + std::to_string(r.listen_websocket("127.0.0.1", 0, "/ws", certificate)) + "/ws";
    rss_url = "rss://127.0.0.1:" + std::to_string(r.listen_rawsocket("127.0.0.1", 0, nullptr, certificate));
  }

  static router::router_config config() {
    router::router_config c;
    router::realm_config realm;
    realm.name = "realm1";
    c.realms.push_back(realm);
    return c;
  }
};

client_options trusting_options() {
  client_options o;
  o.call_timeout = 10s;
  o.join_timeout = 10s;
  o.leave_timeout = 2s;
  o.tls.ca_pem = pki().ca_pem;
  return o;
}

// The message of the ConnectionRefusedError run() throws (any other outcome fails the test).
std::string refusal(const std::string& url, const client_options& options) {
  AutobahnSync app({}, options);
  try {
    app.run(url, "realm1");
  } catch (const ConnectionRefusedError& e) {
    return e.what();
  }
  FAIL("run() did not throw ConnectionRefusedError");
  return {};
}

}  // namespace

TEST_CASE("a client calls through the router over wss:// and rss://", "[client][e2e][tls]") {
  const bool websocket = GENERATE(true, false);
  tls_router router;
  const auto url = websocket ? router.wss_url : router.rss_url;
  auto options = trusting_options();
  options.serializers = {GENERATE(w::serializer_kind::json, w::serializer_kind::msgpack)};
  CAPTURE(url, static_cast<int>(options.serializers[0]));
  AutobahnSync app({}, options);
  app.register_procedure("com.app.echo", [](const w::list& a, const w::dict& k, const invocation_details&) {
    return call_result{a, k};
  });
  app.run(url, "realm1");
  const auto result = app.session().call("com.app.echo", {"secure", 1});
  CHECK(result.args == w::list{"secure", 1});
  app.stop();
  router.r.stop();
}

TEST_CASE("a client refuses a router it cannot verify, saying why", "[client][e2e][tls]") {
  const bool websocket = GENERATE(true, false);
  tls_router router;
  const auto url = websocket ? router.wss_url : router.rss_url;
  CAPTURE(url);
  auto options = trusting_options();

  SECTION("untrusted certificate: no CA given") {
    options.tls.ca_pem.clear();
    CHECK_THAT(refusal(url, options), Catch::Contains("certificate is not trusted"));
  }
  SECTION("host name mismatch") {
    options.tls.server_name = "example.com";
    CHECK_THAT(refusal(url, options), Catch::Contains("does not match the host name"));
  }
  SECTION("verify = false connects anyway") {
    options.tls = {};
    options.tls.verify = false;
    AutobahnSync app({}, options);
    app.run(url, "realm1");
    CHECK(app.running());
    app.stop();
  }
  router.r.stop();
}

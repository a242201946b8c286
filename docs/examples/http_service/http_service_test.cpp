// The example service under test: a wamp_fixture realm, a callee and a subscriber, real HTTP
// requests on 127.0.0.1, and a fault that cuts the service's WAMP connection mid-request.
#include "docs/examples/http_service/http_service.hpp"

#include <boost/asio/connect.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>

#include "testing/recorder.hpp"
#include "testing/wamp_fixture.hpp"

namespace http = boost::beast::http;
namespace wamp = autobahn_sync::wamp;
namespace testing = autobahn_sync::testing;
using boost::asio::ip::tcp;

namespace {

struct http_reply {
  unsigned status;
  wamp::value body;
};

http_reply request(unsigned short port, http::verb method, const std::string& target, std::string body = {}) {
  boost::asio::io_context io;
  tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, "127.0.0.1");
  req.body() = std::move(body);
  req.prepare_payload();
  http::write(socket, req);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(socket, buffer, res);
  return {res.result_int(), wamp::value::parse(res.body())};
}

autobahn_sync::call_result add(const wamp::list& args, const wamp::dict&, const autobahn_sync::invocation_details&) {
  return {{args.at(0).get<double>() + args.at(1).get<double>()}};
}

}  // namespace

TEST_CASE_METHOD(testing::wamp_fixture, "the HTTP service calls and publishes through the client",
                 "[example][integration]") {
  session("math").register_procedure("com.example.add", add);
  testing::event_recorder events;
  auto sub = session("listener").subscribe("com.example.orders", events.handler());
  example::http_service service(client("web"), "127.0.0.1", 0);

  SECTION("GET /add answers with the procedure's result") {
    const auto r = request(service.port(), http::verb::get, "/add?a=2&b=3.5");
    CHECK(r.status == 200);
    CHECK(r.body.at("result") == 5.5);
  }
  SECTION("POST /events/TOPIC publishes the body; the subscriber receives it") {
    const auto r = request(service.port(), http::verb::post, "/events/com.example.orders", R"(["book", 2])");
    CHECK(r.status == 202);
    CHECK(r.body.at("publication").is_number_unsigned());
    REQUIRE(events.wait_for(1));
    CHECK(events.items().at(0).args == wamp::list{"book", 2});
  }
  SECTION("bad input is 400, and nothing reaches the router") {
    CHECK(request(service.port(), http::verb::get, "/add?a=two&b=3").status == 400);
    CHECK(request(service.port(), http::verb::post, "/events/com.example.orders", "not json").status == 400);
    CHECK(trace().of_type(wamp::message_type::call).empty());
    CHECK(trace().of_type(wamp::message_type::publish).empty());
  }
  SECTION("a WAMP error becomes 502 with its URI") {
    auto rule = faults().install(testing::match().type(wamp::message_type::call).session("web"),
                                 testing::fault::answer_error("com.example.overloaded", {"later"}));
    const auto r = request(service.port(), http::verb::get, "/add?a=1&b=1");
    CHECK(r.status == 502);
    CHECK(r.body.at("error") == "com.example.overloaded");
    CHECK(r.body.at("args") == wamp::list{"later"});
  }
  SECTION("losing the router mid-request is 503, at once") {
    auto rule = faults().install(testing::match().type(wamp::message_type::call).session("web"),
                                 testing::fault::close_after());
    CHECK(request(service.port(), http::verb::get, "/add?a=1&b=1").status == 503);
  }
}

// The project's router core (//router:core) on its own I/O thread, reached through in-process
// connections with a real serializer: the end-to-end peer of the client tests until the
// router's own Asio layer exists. Each connect() makes a new in-process pair.
//
// Thread safety: make_connector()'s connector may be called from any executor; the router
// core only runs on the router's thread.
#pragma once

#include <future>
#include <memory>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "client/options.hpp"
#include "router/router_core.hpp"
#include "wamp/transport/inprocess.hpp"

namespace autobahn_sync::test {

class embedded_router {
 public:
  explicit embedded_router(std::vector<router::realm_config> realms,
                           const wamp::serializer* serializer = &wamp::json_serializer())
      : serializer_(serializer) {
    for (auto& r : realms) core_.add_realm(std::move(r));
    thread_ = std::thread([this] { io_.run(); });
  }
  ~embedded_router() { stop(); }

  /// Shuts the router down (GOODBYE to every session) and joins its thread. Idempotent.
  void stop() {
    if (!thread_.joinable()) return;
    std::promise<void> done;
    boost::asio::post(io_, [&] {
      core_.shutdown("wamp.close.system_shutdown");
      done.set_value();
    });
    done.get_future().wait_for(std::chrono::seconds(5));
    work_.reset();
    io_.stop();
    thread_.join();
  }

  /// Declare the result after the clients: the router then stops before they are destroyed.
  /// An in-process peer posts into the client's io_context, which must not be destroyed
  /// while the peer's thread may still post.
  struct stopper {
    embedded_router& router;
    ~stopper() { router.stop(); }
  };
  [[nodiscard]] stopper stop_first() { return stopper{*this}; }

  connector make_connector() {
    return [this](boost::asio::any_io_executor ex, const std::string&, wamp::connect_handler done) {
      auto pair = wamp::make_inprocess_pair(ex, io_.get_executor(), serializer_);
      boost::asio::post(io_, [this, end = pair.second] { accept(end); });
      boost::asio::post(ex, [done, end = pair.first] { done({}, end); });
    };
  }

  /// Runs `f(core)` on the router thread and waits for it.
  template <class F>
  auto with_core(F f) {
    std::packaged_task<decltype(f(core_))()> task([&] { return f(core_); });
    auto future = task.get_future();
    boost::asio::post(io_, [&] { task(); });
    return future.get();
  }

 private:
  void accept(std::shared_ptr<wamp::inprocess_connection> end) {
    std::weak_ptr<wamp::inprocess_connection> weak = end;
    auto id = core_.attach(router::session_sink{
        [weak](wamp::message&& m) {
          if (auto e = weak.lock()) (void)e->send(m);
        },
        [weak] {
          if (auto e = weak.lock()) e->close();
        }});
    end->start(wamp::connection_handler{
        [this, id](wamp::message&& m) { core_.receive(id, std::move(m)); },
        [this, id](const boost::system::error_code&, const std::string& detail) {
          core_.receive_bad(id, detail);
        },
        [this, id, end](const boost::system::error_code&) { core_.detach(id); }});
  }

  const wamp::serializer* serializer_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  router::router_core core_;
  std::thread thread_;
};

}  // namespace autobahn_sync::test

// A scripted router peer for client tests: a `connection` whose far end is a tiny in-memory
// router (one session: WELCOME, subscriptions, registrations, calls routed back to the same
// session, publish with exclude_me, cancel/interrupt, goodbye). Tests intercept any client
// message to answer differently, inject messages, or drop the transport.
//
// Thread safety: the connection side runs on the client's executor; inject(), drop(),
// received() and wait_for() may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include <boost/asio/post.hpp>

#include "client/options.hpp"
#include "client/uris.hpp"
#include "wamp/message.hpp"
#include "wamp/uri.hpp"

namespace autobahn_sync::test {

namespace w = autobahn_sync::wamp;

class fake_router : public std::enable_shared_from_this<fake_router> {
 public:
  /// Return true when the message was handled (the built-in router then ignores it).
  std::function<bool(const w::message&, fake_router&)> intercept;
  /// Connect attempts fail with this error when set.
  boost::system::error_code connect_error;
  w::id session_id = 123456;
  w::dict welcome_details = {{"authid", "anonymous"}, {"authrole", "anonymous"}};

  connector make_connector() {
    std::weak_ptr<fake_router> weak = shared_from_this();
    return [weak](boost::asio::any_io_executor ex, const std::string&, w::connect_handler done) {
      auto self = weak.lock();
      boost::asio::post(ex, [self, ex, done] {
        {
          std::lock_guard lock(self->mutex_);
          ++self->attempts_;
        }
        self->cv_.notify_all();
        if (self->connect_error) return done(self->connect_error, nullptr);
        // A new connection is a new session: the router forgets the old one's state.
        self->subscriptions_.clear();
        self->registrations_.clear();
        self->calls_.clear();
        auto conn = std::make_shared<peer_connection>(self, ex);
        {
          std::lock_guard lock(self->mutex_);
          self->conn_ = conn;
          ++self->connects_;
        }
        done({}, conn);
      });
    };
  }

  /// Sends `msg` to the client (from any thread).
  void inject(w::message msg) {
    auto c = connection();
    if (c) c->deliver(std::move(msg));
  }
  /// Drops the transport: the client sees on_close with an error.
  void drop() {
    auto c = connection();
    if (c) c->drop(boost::asio::error::connection_reset);
  }

  std::vector<w::message> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }
  template <class T>
  std::vector<T> received_of() {
    std::vector<T> out;
    for (auto& m : received()) {
      if (auto* p = std::get_if<T>(&m)) out.push_back(*p);
    }
    return out;
  }
  /// Waits (hang guard: 10 s) until `pred(received())` holds; returns whether it did.
  bool wait_for(const std::function<bool(const std::vector<w::message>&)>& pred) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return pred(received_); });
  }
  template <class T>
  bool wait_for_type() {
    return wait_for([](const auto& ms) {
      for (auto& m : ms) if (std::holds_alternative<T>(m)) return true;
      return false;
    });
  }
  int connects() {
    std::lock_guard lock(mutex_);
    return connects_;
  }
  /// Connect attempts, failed ones included.
  int attempts() {
    std::lock_guard lock(mutex_);
    return attempts_;
  }
  /// Waits (hang guard: 10 s) until at least `n` connect attempts were made.
  bool wait_for_attempts(int n) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return attempts_ >= n; });
  }
  bool closed() {
    auto c = connection();
    return !c || c->closed_;
  }

  // ---- the built-in router (runs on the client's executor) ----
  void route(const w::message& msg) {
    if (intercept && intercept(msg, *this)) return;
    std::visit([this](const auto& m) { on(m); }, msg);
  }

 private:
  class peer_connection : public w::connection,
                          public std::enable_shared_from_this<peer_connection> {
   public:
    peer_connection(std::shared_ptr<fake_router> router, boost::asio::any_io_executor ex)
        : router_(router), ex_(ex) {}
    executor_type get_executor() const override { return ex_; }
    void start(w::connection_handler handler) override { handler_ = std::move(handler); }
    boost::system::error_code send(const w::message& msg) override {
      if (closed_) return w::make_error_code(w::errc::not_connected);
      // Stand-in for the encoder's check, so tests can provoke SerializationError.
      if (has_invalid_utf8(msg)) return w::make_error_code(w::errc::invalid_utf8);
      auto router = router_.lock();
      if (!router) return w::make_error_code(w::errc::not_connected);
      {
        std::lock_guard lock(router->mutex_);
        router->received_.push_back(msg);
      }
      router->cv_.notify_all();
      boost::asio::post(ex_, [router, msg] { router->route(msg); });
      return {};
    }
    void close() override { drop({}); }
    void close_abruptly() override { drop({}); }
    const w::connection_info& info() const noexcept override { return info_; }

    void deliver(w::message msg) {
      auto self = shared_from_this();
      boost::asio::post(ex_, [self, msg = std::move(msg)]() mutable {
        if (!self->closed_ && self->handler_.on_message) self->handler_.on_message(std::move(msg));
      });
    }
    void drop(boost::system::error_code ec) {
      auto self = shared_from_this();
      boost::asio::post(ex_, [self, ec] {
        if (self->closed_) return;
        self->closed_ = true;
        auto h = std::move(self->handler_);
        if (h.on_close) h.on_close(ec);
      });
    }
    std::atomic<bool> closed_{false};

   private:
    static bool has_invalid_utf8(const w::message& msg) {
      bool bad = false;
      std::visit([&](const auto& m) {
        if constexpr (requires { m.args; }) {
          for (auto& a : m.args) {
            if (a.is_string()) {
              try { (void)w::value(a).dump(); } catch (...) { bad = true; }
            }
          }
        }
      }, msg);
      return bad;
    }
    std::weak_ptr<fake_router> router_;
    boost::asio::any_io_executor ex_;
    w::connection_handler handler_;
    w::connection_info info_{"inprocess", "none", "fake"};
  };

  std::shared_ptr<peer_connection> connection() {
    std::lock_guard lock(mutex_);
    return conn_.lock();
  }

  template <class T>
  void on(const T&) {}
  void on(const w::hello&) { inject(w::welcome{session_id, welcome_details}); }
  void on(const w::authenticate&) { inject(w::welcome{session_id, welcome_details}); }
  void on(const w::goodbye&) {
    inject(w::goodbye{{}, w::uri(uris::close_goodbye_and_out)});
  }
  void on(const w::subscribe& m) {
    auto id = ++last_id_;
    subscriptions_[id] = m;
    inject(w::subscribed{m.request, id});
  }
  void on(const w::unsubscribe& m) {
    if (subscriptions_.erase(m.subscription) == 0) {
      inject(w::error{w::message_type::unsubscribe, m.request, {},
                      w::uri(uris::no_such_subscription)});
      return;
    }
    inject(w::unsubscribed{m.request});
  }
  void on(const w::register_& m) {
    for (auto& [id, r] : registrations_) {
      if (r.procedure == m.procedure) {
        inject(w::error{w::message_type::register_, m.request, {},
                        "wamp.error.procedure_already_exists"});
        return;
      }
    }
    auto id = ++last_id_;
    registrations_[id] = m;
    inject(w::registered{m.request, id});
  }
  void on(const w::unregister& m) {
    registrations_.erase(m.registration);
    inject(w::unregistered{m.request});
  }
  void on(const w::publish& m) {
    auto publication = ++last_id_;
    auto opt = [&](const char* k) {
      auto it = m.options.find(k);
      return it != m.options.end() && it->second.is_boolean() ? std::optional(it->second.get<bool>())
                                                              : std::nullopt;
    };
    if (!opt("exclude_me").value_or(true)) {
      for (auto& [id, s] : subscriptions_) {
        auto match = s.options.contains("match")
                         ? *w::parse_match_policy(s.options.at("match").get<std::string>())
                         : w::match_policy::exact;
        if (!w::uri_matches(s.topic, match, m.topic)) continue;
        w::dict details;
        if (match != w::match_policy::exact) details["topic"] = m.topic;
        if (opt("disclose_me").value_or(false)) details["publisher"] = session_id;
        inject(w::event{id, publication, details, m.args, m.kwargs});
      }
    }
    if (opt("acknowledge").value_or(false)) inject(w::published{m.request, publication});
  }
  void on(const w::call& m) {
    for (auto& [id, r] : registrations_) {
      auto match = r.options.contains("match")
                       ? *w::parse_match_policy(r.options.at("match").get<std::string>())
                       : w::match_policy::exact;
      if (!w::uri_matches(r.procedure, match, m.procedure)) continue;
      auto invocation = ++last_id_;
      calls_[invocation] = m.request;
      w::dict details;
      if (match != w::match_policy::exact) details["procedure"] = m.procedure;
      if (m.options.contains("receive_progress")) details["receive_progress"] = true;
      if (m.options.contains("disclose_me")) details["caller"] = session_id;
      inject(w::invocation{invocation, id, details, m.args, m.kwargs});
      return;
    }
    inject(w::error{w::message_type::call, m.request, {}, w::uri(uris::no_such_procedure),
                    {m.procedure}});
  }
  void on(const w::cancel& m) {
    for (auto& [invocation, request] : calls_) {
      if (request != m.request) continue;
      inject(w::interrupt{invocation, m.options});
      inject(w::error{w::message_type::call, request, {}, w::uri(uris::canceled)});
      calls_.erase(invocation);
      return;
    }
  }
  void on(const w::yield& m) {
    auto it = calls_.find(m.request);
    if (it == calls_.end()) return;
    w::dict details;
    const bool progress = m.options.contains("progress");
    if (progress) details["progress"] = true;
    inject(w::result{it->second, details, m.args, m.kwargs});
    if (!progress) calls_.erase(it);
  }
  void on(const w::error& m) {
    if (m.request_type != w::message_type::invocation) return;
    auto it = calls_.find(m.request);
    if (it == calls_.end()) return;
    inject(w::error{w::message_type::call, it->second, {}, m.error_uri, m.args, m.kwargs});
    calls_.erase(it);
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<w::message> received_;
  // Weak: the client owns its connection (and with it the client's executor, which must not
  // outlive the client's io_context).
  std::weak_ptr<peer_connection> conn_;
  int connects_ = 0;
  int attempts_ = 0;
  // Router state: only on the client's executor.
  w::id last_id_ = 1000;
  std::map<w::id, w::subscribe> subscriptions_;
  std::map<w::id, w::register_> registrations_;
  std::map<w::id, w::id> calls_;  // invocation request -> call request
};

}  // namespace autobahn_sync::test

#include "client/autobahn_sync.hpp"

#include <future>

#include <boost/asio/strand.hpp>

#include "client/detail/default_connector.hpp"
#include "client/detail/session_state.hpp"
#include "client/uris.hpp"
#include "wamp/auth/cryptosign.hpp"
#include "wamp/transport/url.hpp"

namespace autobahn_sync {
namespace {

using clock = callbacks_runner::clock;

run_options make_run_options(std::string url, std::string realm,
                             std::vector<std::string> authmethods, std::string authid,
                             std::string authrole, wamp::dict authextra, bool blocking,
                             std::function<void()> callback) {
  return run_options{std::move(url),      std::move(realm),     std::move(authmethods),
                     std::move(authid),   std::move(authrole),  std::move(authextra),
                     blocking,            std::move(callback)};
}

}  // namespace

AutobahnSync::AutobahnSync(std::vector<std::string> authmethods, client_options options)
    : authmethods_(std::move(authmethods)), options_(std::move(options)) {}

AutobahnSync::~AutobahnSync() {
  bool running;
  {
    std::lock_guard lock(mutex_);
    running = running_ && !stopping_;
  }
  if (running) {
    try {
      stop();
    } catch (...) {
    }
  }
  {
    std::unique_lock lock(mutex_);
    // A stop() on another thread may still be tearing down (it let run(blocking=true) on
    // this thread return when it stopped the runner): wait for its end, unless this is a
    // thread it joins (a handler's, the I/O thread's).
    const bool joined_by_teardown = (runner_ && runner_->in_runner_thread()) || (state_ && state_->on_io_thread());
    if (!joined_by_teardown) lifecycle_cv_.wait(lock, [&] { return !stopping_; });
    // A stop() from a handler of run(blocking=true), or from on_leave, did not wait for
    // run() to return.
    await_run(lock);
  }
  join_threads();
  // Threads that could not be joined because this destructor runs on them.
  if (io_thread_.joinable()) io_thread_.detach();
  for (auto& t : runner_threads_) {
    if (t.joinable()) t.detach();
  }
  if (callback_thread_.joinable()) {
    if (callback_thread_.get_id() == std::this_thread::get_id()) {
      callback_thread_.detach();
    } else {
      callback_thread_.join();
    }
  }
  session_.reset();
  retired_sessions_.clear();
  state_.reset();
  work_.reset();
  own_io_.reset();
  retired_ios_.clear();
}

void AutobahnSync::on_challenge(challenge_handler handler) {
  std::lock_guard lock(mutex_);
  if (running_) throw AlreadyRunningError("on_challenge() must be called before run()");
  on_challenge_ = std::move(handler);
}

void AutobahnSync::register_procedure(const wamp::uri& procedure, procedure_handler handler,
                                      register_options options) {
  {
    std::lock_guard lock(mutex_);
    if (!running_) {
      deferred_.push_back([procedure, handler, options](SyncSession& s) {
        s.register_procedure(procedure, handler, options);
      });
      return;
    }
  }
  session().register_procedure(procedure, std::move(handler), options);
}

void AutobahnSync::subscribe(const wamp::uri& topic, event_handler handler,
                             subscribe_options options) {
  {
    std::lock_guard lock(mutex_);
    if (!running_) {
      deferred_.push_back(
          [topic, handler, options](SyncSession& s) { s.subscribe(topic, handler, options); });
      return;
    }
  }
  session().subscribe(topic, std::move(handler), options);
}

void AutobahnSync::begin_run() {
  {
    std::lock_guard lock(mutex_);
    if (running_) throw AlreadyRunningError("the client is already running");
    running_ = true;
    stopping_ = false;
    set_up_ = false;
    torn_down_ = false;
    run_thread_ = std::this_thread::get_id();
    last_error_ = nullptr;
  }
  // Threads of a previous run that stop() could not join (it ran on them).
  join_threads();
  io_shared_with_runner_ = false;
  io_driven_by_callers_ = false;
  if (callback_thread_.joinable()) callback_thread_.join();
}

void AutobahnSync::check_caller_driven(bool own_io_context) const {
  if (!options_.caller_driven_io) return;
  if (!own_io_context || options_.executor || options_.wait) {
    throw Error("caller_driven_io needs run() without client_options::executor or wait: the "
                "client's waiting callers run its own io_context");
  }
  if (options_.reconnect.enabled) {
    throw Error("caller_driven_io cannot reconnect: between calls nothing reads the "
                "connection, so nothing would notice its loss and reconnect");
  }
}

void AutobahnSync::start_session(boost::asio::any_io_executor executor, bool own_thread,
                                 const run_options& options,
                                 std::shared_ptr<detail::waiter>& join_waiter,
                                 boost::asio::io_context* driven_io, bool io_thread) {
  // Said now and plainly, rather than as a failed transport handshake after connecting.
  if (!options_.connect) {
    const auto parsed = wamp::parse_url(options.url);
    if (const auto* why = std::get_if<std::string>(&parsed)) {
      throw ConnectionRefusedError("invalid router URL \"" + options.url + "\": " + *why);
    }
  }
  runner_ = std::make_shared<callbacks_runner>();
  runner_->spin.set_spin(options_.spin_wait);
  if (options_.executor) runner_->run_on(options_.executor);
  auto strand = boost::asio::make_strand(executor);
  state_ = std::make_shared<detail::session_state>(strand, runner_, options_, on_challenge_, own_thread,
                                                  driven_io, io_thread);
  state_->watch_clock();
  if (io_thread) {
    // The state outlives the runner's threads (stop() joins them before it goes).
    runner_->read_while_idle({[state = state_.get()] { return state->lead_while_idle(); },
                              [driven_io] { boost::asio::post(*driven_io, [] {}); }});
  }
  // References to the previous run's session stay valid (its calls throw NotRunningError).
  if (session_) retired_sessions_.push_back(std::move(session_));
  session_ = std::make_unique<SyncSession>(state_);
  join_options join;
  join.realm = options.realm;
  join.authmethods = options.authmethods.empty() ? authmethods_ : options.authmethods;
  join.authid = options.authid;
  join.authrole = options.authrole;
  join.authextra = options.authextra;
  // Cryptosign routers find the principal by the public key in authextra.
  if (!options_.private_key.empty() && !join.authextra.contains("pubkey")) {
    if (auto key = wamp::auth::ed25519_key::from_seed_hex(options_.private_key)) {
      join.authextra["pubkey"] = key->public_key_hex();
    }
  }
  connector connect = options_.connect ? options_.connect : detail::default_connector(options_);
  join_waiter = state_->make_waiter();
  state_->post([connect, url = options.url, join, jw = join_waiter](detail::session_state& s) {
    s.start(connect, url, join, jw);
  });
}

void AutobahnSync::wait_for_join(const std::shared_ptr<detail::waiter>& join_waiter) {
  struct forget {
    detail::session_state& s;
    const std::shared_ptr<detail::waiter>& w;
    ~forget() { s.forget(w); }
  } scope{*state_, join_waiter};
  if (!state_->wait(*join_waiter, state_->deadline_of(*join_waiter, options_.join_timeout), {}, "join")) {
    join_waiter->fail(std::make_exception_ptr(ApplicationError(
        wamp::uri(uris::timeout), wamp::list{"joining the realm timed out"})));
  }
  if (join_waiter->error) std::rethrow_exception(clone_error(join_waiter->error));
}

void AutobahnSync::apply_deferred() {
  std::vector<std::function<void(SyncSession&)>> deferred;
  {
    std::lock_guard lock(mutex_);
    deferred = deferred_;
  }
  for (auto& d : deferred) d(*session_);
}

void AutobahnSync::run(std::string url, std::string realm, std::vector<std::string> authmethods,
                       std::string authid, std::string authrole, wamp::dict authextra,
                       bool blocking, std::function<void()> callback) {
  run(make_run_options(std::move(url), std::move(realm), std::move(authmethods),
                       std::move(authid), std::move(authrole), std::move(authextra), blocking,
                       std::move(callback)));
}

void AutobahnSync::run(const run_options& options) {
  check_caller_driven(true);
  if (options_.executor) return run_on_given_executor(options);
  begin_run();
  leaving_run left{*this};
  try {
    work_.reset();
    // A previous run's io_context outlives the executors its retired session still holds.
    if (own_io_) retired_ios_.push_back(std::move(own_io_));
    own_io_ = std::make_unique<boost::asio::io_context>(1);
    work_.emplace(own_io_->get_executor());
    // With several callbacks threads (handlers on any of them) the client's threads take turns
    // reading and running handlers (callbacks_runner::run_with_io). With one, handlers keep
    // the one thread of their own that run(blocking=false) promises, and one thread runs the
    // io_context.
    // With caller_driven_io no thread of the client runs the io_context: callers do, while
    // they wait. With callers_read the I/O thread leaves it to a waiting caller when it can
    // (session_state.hpp, "Who reads").
    io_driven_by_callers_ = options_.caller_driven_io;
    const bool shared = !options.blocking && options_.callback_threads > 1 && !io_driven_by_callers_;
    // (Not with a wait hook: the hook's waits could not call the I/O thread when needed.)
    const bool callers_read = !shared && !io_driven_by_callers_ && options_.callers_read &&
                              options_.callback_threads > 0 && !options_.wait;
    if (!shared && !io_driven_by_callers_ && !callers_read) {
      io_thread_ = std::thread([io = own_io_.get()] { io->run(); });
    }
    std::shared_ptr<detail::waiter> join_waiter;
    start_session(own_io_->get_executor(), true, options, join_waiter,
                  io_driven_by_callers_ || callers_read ? own_io_.get() : nullptr, callers_read);
    if (callers_read) io_thread_ = std::thread([state = state_.get()] { state->run_io_thread(); });
    if (!options.blocking) start_runner_threads(shared ? own_io_.get() : nullptr);
    mark_set_up();
    wait_for_join(join_waiter);
    apply_deferred();
  } catch (...) {
    abandon_run();
    throw;
  }
  if (options.callback) runner_->post(options.callback);
  if (options.blocking) runner_->run();  // until stop() (at once when it came meanwhile)
}

AutobahnSync::leaving_run::~leaving_run() {
  std::lock_guard lock(client.mutex_);
  client.run_thread_ = {};
  client.lifecycle_cv_.notify_all();  // under the lock: the waiter may destroy us next
}

void AutobahnSync::run_on_given_executor(const run_options& options) {
  begin_run();
  leaving_run left{*this};
  try {
    std::shared_ptr<detail::waiter> join_waiter;
    start_session(options_.executor, false, options, join_waiter);
    mark_set_up();
    wait_for_join(join_waiter);
    apply_deferred();
  } catch (...) {
    abandon_run();
    throw;
  }
  if (options.callback) runner_->post(options.callback);
  if (options.blocking) {
    // Handlers run on the executor: wait (through the wait hook) until stop().
    auto stopped = [this] {
      std::lock_guard lock(mutex_);
      return !running_ || stopping_;
    };
    if (options_.wait) {
      options_.wait(stopped, callbacks_runner::clock::time_point::max(), "run(blocking=true)");
    }
  }
}

void AutobahnSync::run_in_io_context(boost::asio::io_context& io, std::string url,
                                     std::string realm, std::vector<std::string> authmethods,
                                     std::string authid, std::string authrole,
                                     wamp::dict authextra, std::function<void()> callback) {
  run_in_io_context(io, make_run_options(std::move(url), std::move(realm),
                                         std::move(authmethods), std::move(authid),
                                         std::move(authrole), std::move(authextra), false,
                                         std::move(callback)));
}

void AutobahnSync::run_in_io_context(boost::asio::io_context& io, const run_options& options) {
  run_on_executor(io.get_executor(), options);
}

void AutobahnSync::run_on_executor(boost::asio::any_io_executor executor,
                                   const run_options& options) {
  check_caller_driven(false);
  begin_run();
  leaving_run left{*this};
  try {
    std::shared_ptr<detail::waiter> join_waiter;
    start_session(executor, false, options, join_waiter);
    start_runner_threads();
    mark_set_up();
    callback_thread_ = std::thread([this, join_waiter, callback = options.callback] {
      try {
        wait_for_join(join_waiter);
        apply_deferred();
      } catch (...) {
        std::lock_guard lock(mutex_);
        last_error_ = std::current_exception();
        return;
      }
      if (!callback) return;
      try {
        callback();
      } catch (...) {
        // Nobody waits for this thread: the error is kept for last_error().
        std::lock_guard lock(mutex_);
        last_error_ = std::current_exception();
      }
    });
  } catch (...) {
    abandon_run();
    throw;
  }
}

SyncSession& AutobahnSync::session() {
  std::unique_lock lock(mutex_);
  // run() on another thread is still setting up: the session is there in a moment.
  lifecycle_cv_.wait(lock, [&] { return set_up_ || !running_ || stopping_; });
  if (!running_ || stopping_ || !session_) throw NotRunningError("the client is not running");
  return *session_;
}

bool AutobahnSync::running() const {
  std::lock_guard lock(mutex_);
  return running_ && !stopping_;
}

std::exception_ptr AutobahnSync::last_error() const {
  std::lock_guard lock(mutex_);
  if (last_error_) return last_error_;
  // state_ is replaced by the next run() only after set_up_ was cleared under this lock.
  if (set_up_ && state_) return state_->reconnect_gave_up();
  return nullptr;
}

void AutobahnSync::stop() {
  {
    std::unique_lock lock(mutex_);
    if (!running_ || stopping_) throw NotRunningError("the client is not running");
    stopping_ = true;
    // run() on another thread is still setting up: tear down what it set up, once it has.
    // Its join then fails and it throws NotRunningError.
    lifecycle_cv_.wait(lock, [&] { return set_up_; });
  }
  teardown();
}

void AutobahnSync::mark_set_up() {
  {
    std::lock_guard lock(mutex_);
    set_up_ = true;
  }
  lifecycle_cv_.notify_all();
}

void AutobahnSync::abandon_run() {
  {
    std::unique_lock lock(mutex_);
    set_up_ = true;  // a stop() waiting for the set-up goes on: it tears down whatever there is
    lifecycle_cv_.notify_all();
    if (!running_) return;  // a stop() from a handler of this run already tore it down
    if (stopping_) {
      // A stop() on another thread is tearing down: run() throws once it has (all but
      // waiting for run() to leave, which it then does).
      lifecycle_cv_.wait(lock, [&] { return torn_down_ || !running_; });
      return;
    }
    stopping_ = true;
  }
  teardown();
}

void AutobahnSync::teardown() {
  if (state_) {
    state_->stopping.store(true);
    state_->wake_io_thread();  // it reads from here on
    auto stopped = std::make_exception_ptr(NotRunningError("the client was stopped"));
    state_->abandon_all(stopped);
    // Say goodbye, bounded; a plain wait (no pumping): stop() may run inside a handler.
    auto w = std::make_shared<detail::waiter>();
    state_->post([w, stopped](detail::session_state& s) {
      s.leave(std::string(uris::close_normal), stopped, w);
    });
    auto wait_plain = [&](std::chrono::milliseconds timeout) {
      if (options_.wait) {
        try {
          options_.wait([&] { return w->done.load(); }, state_->deadline_in(timeout), "stop");
        } catch (...) {
          // A simulation that cannot go on: stop anyway.
        }
        return w->done.load();
      }
      return state_->wait_real_time(*w, std::chrono::steady_clock::now() + timeout);
    };
    if (!wait_plain(options_.leave_timeout)) {
      state_->post([](detail::session_state& s) { s.close_connection(); });
      wait_plain(options_.leave_timeout);
    }
  }
  if (runner_) runner_->stop();
  if (own_io_) {
    // Let the handlers already queued (the transport's close) run, bounded; then stop the
    // io_context so that nothing lingering (a timer) can hold the I/O thread.
    auto io = own_io_.get();
    const bool io_running = io_thread_.joinable() || io_shared_with_runner_;
    // Not on the thread that runs it (stop() from on_leave): what is queued waits behind us.
    if (io_running && !io->get_executor().running_in_this_thread() && !(state_ && state_->on_io_thread())) {
      auto finished = std::make_shared<std::promise<void>>();
      auto future = finished->get_future();
      boost::asio::post(*io, [finished] { finished->set_value(); });
      (void)future.wait_for(options_.leave_timeout);
    }
    if (io_driven_by_callers_ && state_) {
      auto flushed = std::make_shared<detail::waiter>();
      boost::asio::post(*io, [flushed] { flushed->complete(nullptr, [](detail::waiter&) {}); });
      state_->wait_real_time(*flushed, std::chrono::steady_clock::now() + options_.leave_timeout);
    }
    work_.reset();
    io->stop();
    if (runner_) runner_->notify();  // threads of run_with_io() waiting for their turn
    if (state_) state_->wake_io_thread();
  }
  join_threads();
  // From here on no foreign thread (a manual clock's) may hold the state: the io_context it
  // uses can be destroyed once this client is.
  if (state_) state_->foreign()->close();
  // Not from a hook on the I/O thread (on_leave): a handler of run(blocking=true) may wait
  // for that hook (leave()). The destructor waits instead.
  const bool from_hook = state_ && state_->on_io_thread();
  std::unique_lock lock(mutex_);
  torn_down_ = true;
  lifecycle_cv_.notify_all();  // a run() failing because of this stop throws now
  if (!from_hook) await_run(lock);
  running_ = false;
  stopping_ = false;
  lifecycle_cv_.notify_all();  // under the lock: a waiter may destroy us once it returns
}

void AutobahnSync::await_run(std::unique_lock<std::mutex>& lock) {
  const auto me = std::this_thread::get_id();
  lifecycle_cv_.wait(lock, [&] { return run_thread_ == std::thread::id{} || run_thread_ == me; });
}

void AutobahnSync::start_runner_threads(boost::asio::io_context* shared_io) {
  if (options_.executor) return;  // handlers run on the given executor
  const int n = std::max(1, options_.callback_threads);
  if (shared_io) {
    io_shared_with_runner_ = true;
    // One thread more than handlers may run at once: one is always free to drive the io_context.
    runner_->max_running = static_cast<std::size_t>(n);
    for (int i = 0; i <= n; ++i) {
      runner_threads_.emplace_back([r = runner_, shared_io] { r->run_with_io(*shared_io); });
    }
    return;
  }
  for (int i = 0; i < n; ++i) runner_threads_.emplace_back([r = runner_] { r->run(); });
}

void AutobahnSync::join_threads() {
  auto join = [](std::thread& t) {
    if (!t.joinable()) return;
    if (t.get_id() == std::this_thread::get_id()) return;  // joined by the next run
    t.join();
  };
  join(io_thread_);
  for (auto& t : runner_threads_) join(t);
  std::erase_if(runner_threads_, [](const std::thread& t) { return !t.joinable(); });
}

// ---- default instance ----

AutobahnSync& default_app() {
  static AutobahnSync app;
  return app;
}

void run(std::string url, std::string realm, std::vector<std::string> authmethods,
         std::string authid, std::string authrole, wamp::dict authextra, bool blocking,
         std::function<void()> callback) {
  default_app().run(std::move(url), std::move(realm), std::move(authmethods), std::move(authid),
                    std::move(authrole), std::move(authextra), blocking, std::move(callback));
}

void on_challenge(challenge_handler handler) { default_app().on_challenge(std::move(handler)); }

void subscribe(const wamp::uri& topic, event_handler handler, subscribe_options options) {
  default_app().subscribe(topic, std::move(handler), std::move(options));
}

void register_procedure(const wamp::uri& procedure, procedure_handler handler,
                        register_options options) {
  default_app().register_procedure(procedure, std::move(handler), std::move(options));
}

std::optional<wamp::id> publish(const wamp::uri& topic, wamp::list args, wamp::dict kwargs,
                                const publish_options& options) {
  return default_app().session().publish(topic, std::move(args), std::move(kwargs), options);
}

call_result call(const wamp::uri& procedure, wamp::list args, wamp::dict kwargs,
                 const call_options& options) {
  return default_app().session().call(procedure, std::move(args), std::move(kwargs), options);
}

SyncSession& session() { return default_app().session(); }

void stop() { default_app().stop(); }

}  // namespace autobahn_sync

// The value types of the synchronous client's API: what handlers receive (event and
// invocation details), what calls return, and the options of call, publish, subscribe and
// register. Plain data; thread-compatible.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "wamp/value.hpp"

namespace autobahn_sync {

/// The outcome of a call (and what a procedure handler returns): YIELD/RESULT payload.
struct call_result {
  wamp::list args;
  wamp::dict kwargs;
  /// RESULT.Details (e.g. "progress" for a progressive result); ignored when returned by a
  /// procedure handler.
  wamp::dict details;

  call_result() = default;
  call_result(wamp::list a, wamp::dict k = {}, wamp::dict d = {})
      : args(std::move(a)), kwargs(std::move(k)), details(std::move(d)) {}
  /// A single positional result, or null when there is none.
  wamp::value value() const { return args.empty() ? wamp::value() : args.front(); }
};

/// What an event handler learns besides args/kwargs.
struct event_details {
  wamp::uri topic;        // the concrete topic (also for pattern-based subscriptions)
  wamp::id publication = 0;
  std::optional<wamp::id> publisher;  // set when the publisher disclosed itself
  std::string publisher_authid;
  std::string publisher_authrole;
  wamp::dict details;     // EVENT.Details as received
};

/// What a procedure handler learns besides args/kwargs.
struct invocation_details {
  wamp::uri procedure;    // the concrete procedure (also for pattern-based registrations)
  wamp::id request = 0;
  std::optional<wamp::id> caller;  // set when the caller disclosed itself
  std::string caller_authid;
  std::string caller_authrole;
  bool receive_progress = false;  // the caller accepts progressive results
  /// Timeout the caller asked for (INVOCATION.Details.timeout, which a router may pass to a
  /// callee announcing call_timeout, as ours does), if any. When it passes first, the client
  /// answers ERROR wamp.error.timeout, canceled() turns true, and the handler's answer is
  /// dropped.
  std::optional<std::chrono::milliseconds> timeout;
  wamp::dict details;     // INVOCATION.Details as received
  /// Sends a progressive result (only when receive_progress). Callable from the handler.
  std::function<void(wamp::list, wamp::dict)> progress;
  /// True once the router interrupted this invocation (the caller canceled) or the session
  /// ended (left, stopped, transport lost); the answer is then dropped, so a long handler
  /// may stop early.
  bool canceled() const { return canceled_ && canceled_->load(); }

  std::shared_ptr<std::atomic<bool>> canceled_;
};

/// Called for each EVENT on the callbacks runner.
using event_handler = std::function<void(const wamp::list& args, const wamp::dict& kwargs,
                                         const event_details& details)>;
/// Called for each INVOCATION on the callbacks runner. Returns the YIELD payload; throws
/// ApplicationError to answer with that ERROR, any other exception to answer with
/// wamp.error.runtime_error (args: what()).
using procedure_handler = std::function<call_result(
    const wamp::list& args, const wamp::dict& kwargs, const invocation_details& details)>;

struct call_options {
  /// How long call() waits; expiry cancels the call at the router (CANCEL killnowait) and
  /// throws ApplicationError wamp.error.timeout. Unset: the client's default.
  std::optional<std::chrono::milliseconds> timeout;
  /// Receives progressive results on the calling thread, before call() returns the final one.
  /// Setting it asks the callee for progressive results (receive_progress).
  std::function<void(const call_result&)> on_progress;
  /// Ask the router to disclose our identity to the callee.
  std::optional<bool> disclose_me;
  /// Sent to the router as CALL.Options.timeout (the router's own call timeout), in
  /// milliseconds; independent of `timeout`, which is how long call() waits.
  std::optional<std::chrono::milliseconds> router_timeout;
  /// Any further CALL.Options.
  wamp::dict extra;
  /// Lets another thread cancel the call while it waits: call cancel(mode) on it.
  std::shared_ptr<struct call_canceller> canceller;
};

/// Cancels a call from another thread (call_options::canceller): sends CANCEL with `mode`
/// ("skip", "kill" or "killnowait"); the waiting call then throws ApplicationError
/// wamp.error.canceled (at once for "skip"/"killnowait"; for "kill" from the router, or the
/// callee's own answer if it came first). A router that does not announce call_canceling
/// gets no CANCEL: the call throws wamp.error.canceled at once. One cancel() cancels one
/// call: the running one, or, when none runs, the next to start (which then throws
/// wamp.error.canceled without sending its CALL). Thread-safe.
class call_canceller {
 public:
  void cancel(std::string mode = "killnowait");

  /// Used by the client as a call starts: true, once, when cancel() came while no call ran.
  bool take_early_cancel();

  /// Used by the client: binds the function that cancels the running call (or unbinds it
  /// with an empty function); runs it at once when cancel() came first.
  void bind(std::function<void(std::string)> cancel_fn);

 private:
  std::mutex mutex_;
  std::function<void(std::string)> cancel_;
  bool requested_ = false;
  std::string mode_;
};

struct publish_options {
  /// Wait for PUBLISHED (or ERROR) before publish() returns.
  bool acknowledge = false;
  /// Let our own subscriptions receive the event (default: the router's, i.e. excluded).
  std::optional<bool> exclude_me;
  std::optional<bool> disclose_me;
  std::vector<wamp::id> exclude, eligible;
  std::vector<std::string> exclude_authid, eligible_authid, exclude_authrole, eligible_authrole;
  wamp::dict extra;
};

struct subscribe_options {
  /// "exact" (default), "prefix" or "wildcard".
  std::string match;
  wamp::dict extra;
};

struct register_options {
  /// "exact" (default), "prefix" or "wildcard".
  std::string match;
  /// Shared registration policy: "single", "roundrobin", "random", "first", "last".
  std::string invoke;
  /// Ask the router to disclose the caller (Crossbar's disclose_caller).
  std::optional<bool> disclose_caller;
  wamp::dict extra;
};

/// CALL/PUBLISH/SUBSCRIBE/REGISTER options dicts of the option structs.
wamp::dict to_dict(const call_options& o);
wamp::dict to_dict(const publish_options& o);
wamp::dict to_dict(const subscribe_options& o);
wamp::dict to_dict(const register_options& o);

}  // namespace autobahn_sync

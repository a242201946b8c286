#include "tools/wamp/register_command.hpp"

#include <atomic>
#include <cstdio>
#include <optional>

#include "client/autobahn_sync.hpp"
#include "tools/wamp/cli_args.hpp"
#include "tools/wamp/client_session.hpp"
#include "tools/wamp/exit_codes.hpp"
#include "tools/wamp/stop_waiter.hpp"
#include "tools/wamp/subprocess.hpp"
#include "wamp/utf8.hpp"

namespace wamp_cli {

namespace as = autobahn_sync;

namespace {

/// The ERROR a failing command answers with: args [exit code, stderr].
constexpr const char* command_failed_uri = "com.wamp_cli.command_failed";

// Command output as a WAMP string: invalid UTF-8 replaced by U+FFFD (it could not be sent).
std::string as_valid_utf8(std::string text) {
  if (wamp::is_valid_utf8(text)) return text;
  return wamp::value::parse(to_json_line(wamp::value(text))).get<std::string>();
}

std::string without_final_newline(std::string text) {
  if (text.ends_with('\n')) text.pop_back();
  if (text.ends_with('\r')) text.pop_back();
  return text;
}

// The command line for one invocation: COMMAND ARGS... then the invocation's positional
// arguments (strings as they are, other values as JSON).
std::vector<std::string> command_line(const std::vector<std::string>& command, const wamp::list& args) {
  std::vector<std::string> line = command;
  for (const auto& a : args) line.push_back(a.is_string() ? a.get<std::string>() : to_json_line(a));
  return line;
}

int run_register(std::span<const std::string> argv) {
  common_options common = common_options::from_environment();
  std::optional<std::string> procedure;
  as::register_options options;
  std::optional<std::uint64_t> count;
  std::vector<std::string> command;
  arg_reader in(argv);
  while (in.next()) {
    if (in.is_separator()) {
      command = in.remaining();
    } else if (!in.is_option()) {
      if (procedure) throw usage_error("unexpected argument '" + in.text() + "' (put the command after --)");
      procedure = in.text();
    } else if (in.text() == "--match") {
      options.match = parse_match_option(in.value());
    } else if (in.text() == "--count") {
      count = parse_count_option("--count", in.value());
    } else if (!common.consume(in)) {
      throw usage_error("unknown option " + in.text());
    }
  }
  if (!procedure) throw usage_error("missing the procedure URI");
  if (command.empty()) throw usage_error("missing the command (wamp register URI -- COMMAND [ARGS...])");

  // Declared before the client so that they outlive its handlers.
  stop_waiter waiter;
  std::atomic<std::uint64_t> answered{0};
  auto client = join_router_until_stopped(common, waiter);
  as::SyncSession& session = client->session();

  // With --count, stopping inside the last handler would race its YIELD (sent only after
  // the handler returns). Instead the last handler publishes an event to ourselves: its
  // handler runs on the same one-at-a-time callbacks runner, so only after the YIELD was
  // queued ahead of our GOODBYE. Without permission for that topic we stop at once.
  std::function<void()> after_last_answer = [&waiter] { waiter.finish(); };
  if (count) {
    const std::string done_topic = "com.wamp_cli.register.answered." + std::to_string(session.id());
    try {
      session.subscribe(done_topic, [&waiter](const wamp::list&, const wamp::dict&, const as::event_details&) {
        waiter.finish();
      });
      after_last_answer = [&session, &waiter, done_topic] {
        as::publish_options to_ourselves;
        to_ourselves.exclude_me = false;
        try {
          session.publish(done_topic, {}, {}, to_ourselves);
        } catch (const std::exception&) {
          waiter.finish();
        }
      };
    } catch (const as::ApplicationError&) {
      // Keep finishing at once.
    }
  }

  session.register_procedure(
      *procedure,
      [&](const wamp::list& args, const wamp::dict& kwargs, const as::invocation_details& details) {
        const auto outcome = run_command(command_line(command, args),
                                         {{"WAMP_PROCEDURE", details.procedure},
                                          {"WAMP_KWARGS", to_json_line(kwargs)}});
        if (count && ++answered == *count) after_last_answer();
        if (outcome.exit_code != 0) {
          throw as::ApplicationError(command_failed_uri,
                                     {outcome.exit_code, as_valid_utf8(outcome.stderr_text)});
        }
        return as::call_result{{as_valid_utf8(without_final_newline(outcome.stdout_text))}};
      },
      options);

  return serve_until_stopped(waiter, *client);
}

}  // namespace

const subcommand register_subcommand{
    "register",
    "answer calls by running a command",
    R"(usage: wamp register URI [--match exact|prefix|wildcard] [--count N] [options] -- COMMAND [ARGS...]

Registers URI and answers each invocation by running COMMAND ARGS... followed by the
invocation's positional arguments (strings as they are, other values as JSON). The
command's stdout, without its final newline, is the single result. A command exiting
non-zero answers with the error com.wamp_cli.command_failed, args [exit code, stderr]
(127 when it cannot be started). The environment of the command also holds
WAMP_PROCEDURE (the concrete procedure called) and WAMP_KWARGS (the keyword arguments as
JSON); its stdin is /dev/null. Invocations are answered one at a time.
Runs until SIGINT or SIGTERM (then leaves the realm and exits 0), or until N invocations
were answered.

options:
  --match POLICY       exact (default), prefix or wildcard
  --count N            exit 0 after answering N invocations
)",
    run_register,
};

}  // namespace wamp_cli

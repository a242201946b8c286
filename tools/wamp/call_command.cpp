#include "tools/wamp/call_command.hpp"

#include <cstdio>

#include "client/autobahn_sync.hpp"
#include "tools/wamp/cli_args.hpp"
#include "tools/wamp/client_session.hpp"
#include "tools/wamp/exit_codes.hpp"

namespace wamp_cli {

namespace {

int run_call(std::span<const std::string> argv) {
  common_options common = common_options::from_environment();
  target_and_payload call;
  arg_reader in(argv);
  while (in.next()) {
    if (in.is_separator()) {
      for (const auto& a : in.remaining()) call.add_positional(a);
    } else if (!in.is_option()) {
      call.add_positional(in.text());
    } else if (!common.consume(in) && !call.consume(in)) {
      throw usage_error("unknown option " + in.text());
    }
  }
  if (!call.uri) throw usage_error("missing the procedure URI");

  auto client = join_router(common);
  autobahn_sync::call_options options;
  options.timeout = common.timeout;
  const auto result = client->session().call(*call.uri, std::move(call.args), std::move(call.kwargs), options);
  leave_router(*client);
  const wamp::value line = {{"args", result.args}, {"kwargs", result.kwargs}};
  std::printf("%s\n", to_json_line(line).c_str());
  return exit_ok;
}

}  // namespace

const subcommand call_subcommand{
    "call",
    "call a procedure and print its result",
    R"(usage: wamp call URI [ARGS...] [--kw KEY=VALUE]... [options]

Calls the procedure URI and prints its result as one JSON line:
  {"args":[...],"kwargs":{...}}
ARGS and VALUEs are sent as JSON when they parse as JSON (1, 2.5, true, null, [1,2],
{"a":1}, '"quoted"'), otherwise as strings: `wamp call com.add 1 2` sends two integers,
`wamp call com.echo hello` a string. Arguments after "--" are never taken as options.

options:
  --kw KEY=VALUE       a keyword argument (repeatable)
)",
    run_call,
};

}  // namespace wamp_cli

#include "tools/wamp/publish_command.hpp"

#include <cstdio>

#include "client/autobahn_sync.hpp"
#include "tools/wamp/cli_args.hpp"
#include "tools/wamp/client_session.hpp"
#include "tools/wamp/exit_codes.hpp"

namespace wamp_cli {

namespace {

int run_publish(std::span<const std::string> argv) {
  common_options common = common_options::from_environment();
  target_and_payload event;
  autobahn_sync::publish_options options;
  arg_reader in(argv);
  while (in.next()) {
    if (in.is_separator()) {
      for (const auto& a : in.remaining()) event.add_positional(a);
    } else if (!in.is_option()) {
      event.add_positional(in.text());
    } else if (in.text() == "--acknowledge") {
      options.acknowledge = true;
    } else if (!common.consume(in) && !event.consume(in)) {
      throw usage_error("unknown option " + in.text());
    }
  }
  if (!event.uri) throw usage_error("missing the topic URI");

  auto client = join_router(common);
  const auto publication = client->session().publish(*event.uri, std::move(event.args),
                                                     std::move(event.kwargs), options);
  // Without --acknowledge the PUBLISH is queued before our GOODBYE, so it is still delivered.
  leave_router(*client);
  if (publication) std::printf("%s\n", to_json_line({{"publication", *publication}}).c_str());
  return exit_ok;
}

}  // namespace

const subcommand publish_subcommand{
    "publish",
    "publish an event",
    R"(usage: wamp publish TOPIC [ARGS...] [--kw KEY=VALUE]... [--acknowledge] [options]

Publishes one event to TOPIC. ARGS and VALUEs are JSON when they parse as JSON, otherwise
strings (see wamp call --help). Prints nothing, or with --acknowledge the publication id
as {"publication":ID} once the router accepted the event (a refusal is a WAMP error).

options:
  --kw KEY=VALUE       a keyword argument (repeatable)
  --acknowledge        wait for the router's acknowledgement
)",
    run_publish,
};

}  // namespace wamp_cli

// detail: the connector used when client_options::connect is empty: the built-in transports
// chosen by URL scheme (ws://, wss://, rs://, rss://, tcp://). Not for users.
#pragma once

#include <optional>
#include <string>

#include "client/options.hpp"

namespace autobahn_sync::detail {

connector default_connector(const client_options& options);

}  // namespace autobahn_sync::detail

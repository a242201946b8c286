#include "wamp/id.hpp"

namespace autobahn_sync::wamp {

std::uint64_t random_seed() {
  std::random_device device;
  return (std::uint64_t{device()} << 32) ^ device();
}

}  // namespace autobahn_sync::wamp

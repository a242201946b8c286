// The README's main job: a tour of the embedded router and the synchronous client, in one
// process and in under a second (tools/demo.sh). The same tour is `wamp demo`.
#include "tools/demo/demo_tour.hpp"

int main() { return autobahn_sync::tools::run_demo_tour(); }

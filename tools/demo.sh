#!/usr/bin/env bash
# The project's main job: installs what is missing, builds and runs the tour of the embedded
# router and the synchronous client (calls, events, WAMP-CRA, a fault keyed to a protocol
# event, call latencies). Extra arguments go to the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/bootstrap.sh
exec bazel run --ui_event_filters=-info,-stdout,-stderr --noshow_progress -c opt //tools/demo -- "$@"

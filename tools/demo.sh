#!/usr/bin/env bash
# The project's main job: installs what is missing, builds and runs the demo on the embedded
# transports (and, as they land, the embedded router). Extra arguments go to the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/bootstrap.sh
exec bazel run --ui_event_filters=-info,-stdout,-stderr --noshow_progress -c opt //tools/demo -- "$@"

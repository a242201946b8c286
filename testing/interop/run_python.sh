#!/usr/bin/env bash
# Runs a Python interop script with Debian's interpreter, where python3-autobahn lives.
exec /usr/bin/python3 "$@"

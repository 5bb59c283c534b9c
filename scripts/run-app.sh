#!/usr/bin/env bash
# Builds and opens the desktop app. With no API key configured it runs on the built-in
# simulator (demo mode).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/packages.sh app
exec cargo run --release -- "$@"

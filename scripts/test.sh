#!/usr/bin/env bash
# Runs the whole test suite, including the tests that are ignored by a plain `cargo test`
# because they need a real component (each such test starts its own, privately: the audio
# tests their own PulseAudio virtual microphone, see tests/vmic_support). Installs missing
# system packages first.
# Usage: scripts/test.sh [CARGO TEST ARGS] [-- TEST BINARY ARGS]
#   e.g. scripts/test.sh --test audio_vmic -- --nocapture
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/packages.sh test
export CARGO_PROFILE_DEV_DEBUG=0 CARGO_TERM_COLOR=never
cargo_args=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  cargo_args+=("$1")
  shift
done
[ "${1:-}" = "--" ] && shift
cargo test --locked "${cargo_args[@]}" -- --include-ignored "$@"

#!/usr/bin/env bash
# Runs the whole test suite, including the tests that are ignored by a plain `cargo test`
# because they need a real component, each of which the test starts for itself, privately:
# the audio tests their own PulseAudio virtual microphone (tests/vmic_support), the keychain
# tests (tests/keychain.rs, and the app's Settings in tests/gui_settings.rs) a Secret Service
# (gnome-keyring on its own D-Bus session, scripts/with-keyring.sh).
# Installs missing system packages first.
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
# The keychain tests are left to the run below, which gives them a Secret Service; every
# other test keeps keys in files (never the keychain of whoever runs the suite).
SPEECH_SCORER_KEYCHAIN=off cargo test --locked "${cargo_args[@]}" -- --include-ignored --skip secret_service_ "$@"
if [ ${#cargo_args[@]} -eq 0 ] && [ $# -eq 0 ]; then
  scripts/with-keyring.sh cargo test --locked --test keychain --test gui_settings -- --include-ignored
fi

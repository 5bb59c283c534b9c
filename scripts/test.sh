#!/usr/bin/env bash
# Runs the whole test suite with the real components it needs: a virtual microphone
# (PulseAudio null sink) for the audio tests, a private Secret Service (gnome-keyring on its
# own D-Bus session) for the keychain tests. Installs missing system packages first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/packages.sh test
export CARGO_PROFILE_DEV_DEBUG=0 CARGO_TERM_COLOR=never
eval "$(scripts/vmic.sh start)"
trap 'scripts/vmic.sh stop >/dev/null 2>&1 || true' EXIT
export SPEECH_SCORER_VMIC=1
cargo test --locked "$@"
# The keychain tests, against a real Secret Service of their own (scripts/with-keyring.sh).
# A main run with --include-ignored must pass --skip secret_service_ to leave them to this.
scripts/with-keyring.sh cargo test --locked --test keychain -- --include-ignored

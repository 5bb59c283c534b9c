#!/usr/bin/env bash
# Runs the whole test suite with the real components it needs: a virtual microphone
# (PulseAudio null sink) for the audio tests. Installs missing system packages first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/packages.sh test
export CARGO_PROFILE_DEV_DEBUG=0 CARGO_TERM_COLOR=never
eval "$(scripts/vmic.sh start)"
trap 'scripts/vmic.sh stop >/dev/null 2>&1 || true' EXIT
export SPEECH_SCORER_VMIC=1
cargo test --locked "$@"

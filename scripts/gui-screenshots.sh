#!/usr/bin/env bash
# Takes the desktop app's screenshots under Xvfb (docs/screenshots/*.png). Each shot runs the
# gui_pilot example (the real app on the built-in simulator, walked to a state) and captures
# the window after a delay. Usage: scripts/gui-screenshots.sh SPEECH.wav [shot...]
# Needs: xvfb xdotool imagemagick (scripts/packages.sh app), espeak-ng for the speech file.
set -euo pipefail
cd "$(dirname "$0")/.."
SPEECH=$(realpath "$1"); shift
OUT=docs/screenshots
mkdir -p "$OUT"
cargo build -q --example gui_pilot
PILOT=target/debug/examples/gui_pilot
DISP=:${XVFB_DISPLAY_NUM:-97}
Xvfb "$DISP" -screen 0 1024x768x24 -nolisten tcp >/dev/null 2>&1 & XPID=$!
trap 'kill $XPID 2>/dev/null || true' EXIT
for _ in $(seq 50); do xdpyinfo -display "$DISP" >/dev/null 2>&1 && break; sleep 0.1; done
export DISPLAY=$DISP
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}

# shot NAME SECONDS -- pilot args
shot() {
  local name=$1 wait=$2; shift 3
  local home; home=$(mktemp -d)
  SPEECH_SCORER_HOME=$home "$PILOT" "$@" >/dev/null 2>"$home/stderr" & local pid=$!
  local win=""
  for _ in $(seq 150); do win=$(xdotool search --name '^speech-scorer$' 2>/dev/null | head -1) && [ -n "$win" ] && break; sleep 0.1; done
  sleep "$wait"
  import -window "$win" "$OUT/$name.png"
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  echo "saved $OUT/$name.png"
}

ALL=("$@")
sel() { [ ${#ALL[@]} -eq 0 ] && return 0; for s in "${ALL[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }

S=assets/scenarios
TMP=$(mktemp -d)
cat >"$TMP/warm.toml" <<'T'
name = "warm-37"
[[step]]
on = "submit"
respond = "error"
code = "SERVICE_WARMING_UP"
retry_after = 37
repeat = 5
T
sel record && shot record-recording 9 -- --record
sel warmup && shot progress-warmup 12 -- --fast --fixture "$SPEECH" --submit --scenario "$TMP/warm.toml"
sel result && shot result 22 -- --fast --fixture "$SPEECH" --submit
sel partial && shot result-partial 22 -- --fast --fixture "$SPEECH" --submit --scenario $S/partial.toml
sel credits && shot dialog-insufficient-credits 14 -- --fast --fixture "$SPEECH" --submit --credits 2
sel language && shot dialog-low-confidence 22 -- --fast --fixture "$SPEECH" --submit --scenario $S/failed-transcription-low-confidence.toml
sel settings && shot settings 6 -- --settings
sel history && shot history 22 -- --fast --fixture "$SPEECH" --submit --history
exit 0

#!/usr/bin/env bash
# Measures the desktop app under Xvfb: launch → first frame, idle CPU with the window open on
# a static screen (Settings), CPU on the record screen while the microphone test runs (the
# meter live, nothing written), CPU while recording (Space, from the virtual microphone),
# peak RSS.
# Usage: scripts/gui-measure.sh [BIN]   (default target/debug/speech-scorer; build it first;
#        `cargo build --profile measure` gives release-like code: target/measure/speech-scorer)
# Records from a private virtual microphone (scripts/vmic.sh) with speech looping into it,
# started here and stopped at the end, unless PULSE_SERVER already points at one.
#   RUNS=500        seed that many scored runs into the history first (first frame with a
#                   full history; needs the seed_history example built next to BIN)
#   WAVEFORM_MIN=45 also time the waveform of a take that long: computed off the UI thread,
#                   and the frames drawing it (gui_pilot --measure-frames, built next to BIN)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/debug/speech-scorer}
DISP=:${XVFB_DISPLAY_NUM:-96}
OWN_VMIC=""
cleanup() {
  kill "$XPID" 2>/dev/null || true
  [ -n "${APID:-}" ] && kill "$APID" 2>/dev/null || true
  if [ -n "$OWN_VMIC" ]; then
    [ -n "${LOOP_PID:-}" ] && { pkill -P "$LOOP_PID" 2>/dev/null || true; kill "$LOOP_PID" 2>/dev/null || true; }
    scripts/vmic.sh stop >/dev/null 2>&1 || true
  fi
}
if [ -z "${PULSE_SERVER:-}" ]; then
  eval "$(scripts/vmic.sh start)"
  OWN_VMIC=1
  espeak-ng -w "$VMIC_DIR/speech.wav" "This is a measurement of the recording screen. It keeps talking, with pauses, like a candidate would."
  scripts/vmic.sh loop "$VMIC_DIR/speech.wav" >/dev/null 2>&1 & LOOP_PID=$!
fi
Xvfb "$DISP" -screen 0 1024x768x24 -nolisten tcp >/dev/null 2>&1 & XPID=$!
trap cleanup EXIT
for _ in $(seq 50); do xdpyinfo -display "$DISP" >/dev/null 2>&1 && break; sleep 0.1; done
export DISPLAY=$DISP
# Never the keychain, key or service of whoever measures: no D-Bus session and no ZENHIRE_*
# variables (the app runs on the built-in simulator with a fresh home).
unset DBUS_SESSION_BUS_ADDRESS ZENHIRE_API_KEY ZENHIRE_BASE_URL ZENHIRE_PROFILE
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}
HOME_DIR=$(mktemp -d)
BIN_DIR=$(dirname "$BIN")
if [ -n "${RUNS:-}" ]; then
  SPEECH_SCORER_HOME=$HOME_DIR "$BIN_DIR/examples/seed_history" "$RUNS"
fi
TICK=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
measure() { # PID SECONDS -> % of one core
  local a b; a=$(cpu_ticks "$1"); sleep "$2"; b=$(cpu_ticks "$1")
  awk -v d=$((b - a)) -v t="$TICK" -v s="$2" 'BEGIN { printf "%.2f", 100 * d / t / s }'
}
# Start on Settings: a static screen (the record screen tests the microphone, which is not
# idle).
mkdir -p "$HOME_DIR/config"
echo '{"screen":"Settings"}' >"$HOME_DIR/config/ui-state.json"
t0=$(date +%s%N)
SPEECH_SCORER_HOME=$HOME_DIR SPEECH_SCORER_TIMING=1 "$BIN" 2>"$HOME_DIR/stderr" & APID=$!
echo "stderr: $HOME_DIR/stderr"
WIN=$(xdotool search --sync --name '^speech-scorer$' | head -1)
t1=$(date +%s%N)
sleep 3
echo "window mapped after: $(( (t1 - t0) / 1000000 )) ms"
grep -h "first frame" "$HOME_DIR/stderr" || true
sleep 5
echo "idle CPU (20 s, window open, Settings screen): $(measure $APID 20) % of one core"
# No window manager under Xvfb: a click gives the window keyboard focus. This one is on
# "Record" in the navigation bar (the default window size).
xdotool windowfocus --sync "$WIN" 2>/dev/null || true
xdotool mousemove --window "$WIN" "${RECORD_TAB_X:-130}" "${RECORD_TAB_Y:-14}" click 1 2>/dev/null
sleep 3
[ -n "${MONITOR_SHOT:-}" ] && import -window "$WIN" "$MONITOR_SHOT"
echo "record screen CPU (20 s, microphone test running, speech playing): $(measure $APID 20) % of one core"
# An empty spot, so Space goes to the window, not to a focused button.
xdotool mousemove --window "$WIN" 600 600 click 1 2>/dev/null
sleep 0.5
xdotool key space 2>/dev/null
sleep 3
[ -n "${SHOT:-}" ] && import -window "$WIN" "$SHOT"
echo "recording CPU (20 s): $(measure $APID 20) % of one core"
xdotool key space 2>/dev/null
sleep 2
ls "$HOME_DIR"/data/recordings 2>/dev/null | sed 's/^/recorded: /' || true
echo "peak RSS: $(awk '/VmHWM/ {print $2, $3}' /proc/$APID/status)"
if [ -n "${WAVEFORM_MIN:-}" ]; then
  kill "$APID" 2>/dev/null || true; wait "$APID" 2>/dev/null || true; APID=""
  TAKE=$HOME_DIR/long-take.wav
  sox -n -r 16000 -c 1 -b 16 "$TAKE" synth "$((WAVEFORM_MIN * 60))" sine 220 tremolo 3 90 2>/dev/null
  WHOME=$(mktemp -d)
  SPEECH_SCORER_HOME=$WHOME SPEECH_SCORER_TIMING=1 "$BIN_DIR/examples/gui_pilot" --fixture "$TAKE" \
    --measure-frames 120 2>"$WHOME/stderr"
  grep -h "waveform of" "$WHOME/stderr" | sed 's/^speech-scorer: /computed off the UI thread: /' || true
fi

#!/usr/bin/env bash
# Takes the desktop app's screenshots under its own Xvfb (docs/screenshots/*.png). Each shot
# runs the gui_pilot example (the real app on the built-in simulator, walked to a state) at
# every size in $SIZES and captures the window after a delay.
# Usage: scripts/gui-screenshots.sh [SPEECH.wav] [shot...]
#   SPEECH.wav defaults to a 200 s espeak-ng reading made on the fly.
#   SIZES="640x480 1280x800" (default) — one PNG per shot and size: NAME-WxH.png.
# Needs: xvfb xdotool imagemagick (scripts/packages.sh app), espeak-ng + sox for the speech.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=docs/screenshots
SIZES=${SIZES:-"640x480 1280x800"}
TMP=$(mktemp -d)
if [ $# -gt 0 ] && [ -f "$1" ]; then
  SPEECH=$(realpath "$1"); shift
else
  SPEECH=$TMP/speech.wav
  text="I led the migration of our billing system to a new platform. We planned it in stages, tested every step, and kept the old system running until the numbers matched."
  espeak-ng -s 150 -w "$TMP/one.wav" "$text"
  # 200 s: long enough for the 3-minute minimum.
  reps=()
  for _ in $(seq 20); do reps+=("$TMP/one.wav"); done
  sox "${reps[@]}" "$TMP/long.wav"
  sox "$TMP/long.wav" -r 16000 -c 1 "$SPEECH" trim 0 200
fi
mkdir -p "$OUT"
cargo build -q --example gui_pilot
PILOT=target/debug/examples/gui_pilot

# A display of our own: Xvfb picks a free number and tells us on a pipe.
exec 3<> <(:)
Xvfb -displayfd 3 -screen 0 1920x1080x24 -nolisten tcp >/dev/null 2>&1 & XPID=$!
trap 'kill $XPID 2>/dev/null || true; rm -rf "$TMP"' EXIT
read -r -t 10 NUM <&3 || { echo "Xvfb did not start" >&2; exit 1; }
export DISPLAY=:$NUM
export XDG_RUNTIME_DIR=$TMP/runtime
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"

# shot NAME SECONDS -- pilot args
shot() {
  local name=$1 wait=$2; shift 3
  for size in $SIZES; do
    local home; home=$(mktemp -d -p "$TMP")
    SPEECH_SCORER_HOME=$home "$PILOT" --size "$size" "$@" >/dev/null 2>"$home/stderr" & local pid=$!
    local win=""
    for _ in $(seq 300); do win=$(xdotool search --name '^speech-scorer$' 2>/dev/null | head -1) && [ -n "$win" ] && break; sleep 0.1; done
    if [ -z "$win" ]; then
      # `import -window ''` would wait for a click forever.
      echo "no window for $name-$size; the pilot said:" >&2; cat "$home/stderr" >&2
      kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
      continue
    fi
    sleep "$wait"
    import -window "$win" "$OUT/$name-$size.png"
    kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
    echo "saved $OUT/$name-$size.png"
  done
}

ALL=("$@")
sel() { [ ${#ALL[@]} -eq 0 ] && return 0; for s in "${ALL[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }

S=assets/scenarios
cat >"$TMP/warm.toml" <<'T'
name = "warm-37"
[[step]]
on = "submit"
respond = "error"
code = "SERVICE_WARMING_UP"
retry_after = 37
repeat = 5
T
sel record && shot record 6 -- --fixture "$SPEECH"
# Needs a microphone with sound: with PULSE_SERVER pointing at a virtual one (scripts/vmic.sh)
# the speech is played into it while the shot is taken.
if [ -n "${PULSE_SERVER:-}" ] && { sel recording || sel monitoring; }; then
  (while :; do paplay -d vmic_sink "$SPEECH" || break; done) & PLAYER=$!
  # Testing the microphone before recording: the meter live, nothing written.
  sel monitoring && shot record-monitoring 6 --
  sel recording && shot record-recording 8 -- --record
  kill $PLAYER 2>/dev/null || true
fi
# Generated microphones (gui_pilot --mics): the saved one is gone, so the default is used and
# the screen says so; ALSA's null device chosen (not a microphone); a silent take asks before
# it is submitted.
sel fallback && shot record-fallback 6 -- --mics fake --saved-mic pulseaudio:alsa_input.usb-Blue_Microphones_Yeti-00.analog-stereo --saved-mic-name "Yeti Stereo Microphone"
sel null && shot record-not-a-microphone 6 -- --mics null --saved-mic alsa:null
sel silent && shot record-silent-take 12 -- --mics muted --record --record-secs 200 --submit
sel warmup && shot progress-warmup 10 -- --fast --fixture "$SPEECH" --submit --scenario "$TMP/warm.toml"
sel result && shot result 16 -- --fast --fixture "$SPEECH" --submit
sel partial && shot result-partial 16 -- --fast --fixture "$SPEECH" --submit --scenario $S/partial.toml
sel credits && shot dialog-insufficient-credits 10 -- --fast --fixture "$SPEECH" --submit --credits 2
sel language && shot dialog-low-confidence 16 -- --fast --fixture "$SPEECH" --submit --scenario $S/failed-transcription-low-confidence.toml
sel settings && shot settings 5 -- --settings
sel history && shot history 18 -- --fast --fixture "$SPEECH" --submit --scenario $S/failed-transcription-failed.toml --then history
sel confirm && shot history-confirm-remove 20 -- --fast --fixture "$SPEECH" --submit --then history --confirm-remove
sel support && shot support 18 -- --fast --fixture "$SPEECH" --submit --then support --explain '{"error":{"code":"INSUFFICIENT_CREDITS","message":"Insufficient credits","requestId":"req_77_ab","details":{"cost":4,"available":1}}}'
if sel batch; then
  # A folder of 12 takes and one that is too short, shot while the first rows finish.
  mkdir -p "$TMP/batch"
  for i in $(seq -w 1 12); do ln -f "$SPEECH" "$TMP/batch/interview-$i.wav"; done
  sox "$SPEECH" "$TMP/batch/too-short.wav" trim 0 20
  # A warm-up after the first run: every row waits, with its countdown.
  shot batch 5 -- --fast --batch "$TMP/batch" --scenario assets/scenarios/batch-warmup-mid-batch.toml
fi
sel support-request && shot support-request 18 -- --fast --fixture "$SPEECH" --submit --then support --select-request 0
sel support-all-runs && shot support-all-runs 18 -- --fast --fixture "$SPEECH" --submit --then support --all-runs --select-request 0
# A customer's bundle (BUNDLE=path/to/support.zip), opened and replayed at max.
if sel support-replay && [ -n "${BUNDLE:-}" ]; then
  shot support-replay 12 -- --bundle "$(realpath "$BUNDLE")" --replay max
fi
exit 0

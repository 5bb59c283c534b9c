#!/usr/bin/env bash
# Takes the desktop app's screenshots under its own Xvfb (docs/screenshots/*.png). Each shot
# runs the gui_pilot example (the real app on the built-in simulator, walked to a state) at
# every size in $SIZES and captures the window after a delay.
# Usage: scripts/gui-screenshots.sh [SPEECH.wav] [shot...]
#   SPEECH.wav defaults to a 200 s espeak-ng reading made on the fly.
#   SIZES="640x480 1280x800" (default) — one PNG per shot and size: NAME-WxH.png.
# Needs: xvfb xdotool imagemagick (scripts/packages.sh app), espeak-ng + sox for the speech;
# the report's shot also chromium-headless-shell + poppler-utils (scripts/packages.sh docs).
# SEED="N [seed_history args]" in a shot's environment fills its history first.
# the settings-keychain and settings-locked shots a private gnome-keyring (scripts/with-keyring.sh,
# scripts/packages.sh test). The plain settings shot shows where this machine would keep a key
# (no D-Bus session: the file, and why).
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
cargo build -q --example gui_pilot --example seed_history --bin speech-scorer
PILOT=target/debug/examples/gui_pilot
SEEDER=target/debug/examples/seed_history

# A display of our own: Xvfb picks a free number and tells us on a pipe.
exec 3<> <(:)
Xvfb -displayfd 3 -screen 0 1920x1080x24 -nolisten tcp >/dev/null 2>&1 & XPID=$!
trap 'kill $XPID 2>/dev/null || true; rm -rf "$TMP"' EXIT
read -r -t 10 NUM <&3 || { echo "Xvfb did not start" >&2; exit 1; }
export DISPLAY=:$NUM
export XDG_RUNTIME_DIR=$TMP/runtime
# Never the keychain, key or service of whoever takes the shots: no D-Bus session (the shots
# that need a keychain get a private one from with-keyring.sh) and no ZENHIRE_* variables
# (the environment shot sets its own).
unset DBUS_SESSION_BUS_ADDRESS ZENHIRE_API_KEY ZENHIRE_BASE_URL ZENHIRE_PROFILE
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"

# shot NAME SECONDS -- pilot args; $RUN, when set, is a command the pilot runs under (e.g.
# scripts/with-keyring.sh); each shot runs in a session of its own, stopped as a whole.
shot() {
  local name=$1 wait=$2; shift 3
  for size in $SIZES; do
    local home; home=$(mktemp -d -p "$TMP")
    # shellcheck disable=SC2086 # SEED is a list of arguments
    [ -n "${SEED:-}" ] && SPEECH_SCORER_HOME=$home "$SEEDER" $SEED 2>/dev/null
    # shellcheck disable=SC2086 # $RUN is words on purpose
    SPEECH_SCORER_HOME=$home setsid ${RUN:-} "$PILOT" --size "$size" "$@" >/dev/null 2>"$home/stderr" & local pid=$!
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
    kill -- "-$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
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
# The record screen tests the microphone as soon as it opens: the virtual one when PULSE_SERVER
# points at it, else generated microphones (never this machine's own sound system).
MICS=()
[ -n "${PULSE_SERVER:-}" ] || MICS=(--mics fake)
sel record && shot record 6 -- --fixture "$SPEECH" "${MICS[@]}"
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
# A key saved in a real (private) Secret Service; and one from the environment.
sel settings-keychain && RUN=scripts/with-keyring.sh shot settings-keychain 7 -- --settings --save-key zh_live_demo_key_4821
sel settings-env && RUN="env ZENHIRE_API_KEY=zh_live_from_env_7311 ZENHIRE_BASE_URL=http://127.0.0.1:9" shot settings-env 5 -- --settings
# A keychain that does not answer (its daemon frozen, as while it waits for an unlock
# prompt); thawed by a timer outside the shot's session, so it exits when the shot ends.
cat >"$TMP/frozen.sh" <<'T'
#!/bin/sh
kill -STOP "$WITH_KEYRING_DAEMON_PID"
setsid sh -c "sleep 20; kill -CONT $WITH_KEYRING_DAEMON_PID" >/dev/null 2>&1 &
exec "$@"
T
chmod +x "$TMP/frozen.sh"
sel settings-locked && RUN="scripts/with-keyring.sh $TMP/frozen.sh" shot settings-locked 10 -- --settings
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
# The views (issue 12). The waveform of a take with a 4 s silence at 0:50 and a clipped
# stretch at 1:20, its trim handles at 0:12 and 2:50.
if sel waveform; then
  sox "$SPEECH" "$TMP/m1.wav" trim 0 50
  sox -n -r 16000 -c 1 "$TMP/m2.wav" trim 0 4
  sox "$SPEECH" "$TMP/m3.wav" trim 50 30
  sox "$SPEECH" "$TMP/m4.wav" trim 80 6 gain 14 2>/dev/null
  sox "$SPEECH" "$TMP/m5.wav" trim 86 110
  sox "$TMP"/m[1-5].wav "$TMP/marks.wav"
  shot waveform 7 -- --fixture "$TMP/marks.wav" --trim-handles 12-170 "${MICS[@]}"
fi
# 500 attempts of two people (seed_history), one person's series.
sel trend && SEED=500 shot trend 8 -- --then trend --group-by key:candidate_id
# The whole result (tests/fixtures/result-full.json) for the take, 12 earlier attempts.
sel result-full && SEED=12 shot result-full 8 -- --fixture "$SPEECH" --result tests/fixtures/result-full.json
# The report of that result, printed as a browser prints it (one A4 page).
if sel report; then
  home=$(mktemp -d -p "$TMP")
  SPEECH_SCORER_HOME=$home "$SEEDER" 12 --result tests/fixtures/result-full.json 2>/dev/null
  SPEECH_SCORER_HOME=$home target/debug/speech-scorer export --format report -o "$TMP/report.html"
  scripts/report-render.sh "$TMP/report.html" "$TMP/report" 96
  cp "$TMP/report.png" "$OUT/report.png"
  echo "saved $OUT/report.png"
fi
exit 0

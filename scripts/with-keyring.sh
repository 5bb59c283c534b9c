#!/usr/bin/env bash
# Runs a command against a private, unlocked Secret Service: a D-Bus session bus of its own
# (dbus-run-session) with gnome-keyring-daemon unlocked by a throwaway password, and HOME,
# XDG_RUNTIME_DIR and the XDG data/config/cache dirs in a temp dir, so the user's own keyring
# is never read or written. Everything it started is stopped, and the temp dir removed, when
# the command ends. The command's exit status is this script's.
#
# Usage: scripts/with-keyring.sh COMMAND [ARGS...]
#   e.g. scripts/with-keyring.sh cargo test --locked --test keychain -- --include-ignored
set -euo pipefail

if [ "${1:-}" = "--inside-session" ]; then
  # Second stage: we are inside dbus-run-session, on the private bus.
  shift
  # The login keyring is created on first unlock with this password; nothing real is in it.
  printf '%s' "speech-scorer-test" |
    gnome-keyring-daemon --foreground --unlock --components=secrets >"$WITH_KEYRING_TMP/daemon.log" 2>&1 &
  daemon=$!
  stop() { kill "$daemon" 2>/dev/null || true; wait "$daemon" 2>/dev/null || true; }
  trap stop EXIT
  # Wait (at most 10 s) until the daemon owns the Secret Service name; calling it earlier
  # would D-Bus-activate a second, locked daemon.
  for _ in $(seq 1 100); do
    if dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null |
      grep -q "boolean true"; then
      break
    fi
    if ! kill -0 "$daemon" 2>/dev/null; then
      echo "with-keyring: gnome-keyring-daemon exited:" >&2
      cat "$WITH_KEYRING_TMP/daemon.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  # Tests that freeze the daemon (to see a keychain that does not answer) need its pid.
  export WITH_KEYRING_DAEMON_PID="$daemon"
  status=0
  "$@" || status=$?
  exit "$status"
fi

if [ $# -eq 0 ]; then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
fi
for tool in dbus-run-session dbus-send gnome-keyring-daemon; do
  command -v "$tool" >/dev/null || {
    echo "with-keyring: $tool is missing (scripts/packages.sh test installs it)" >&2
    exit 1
  }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/speech-scorer-keyring.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -m 700 "$tmp/runtime" "$tmp/home"
# cargo and rustup live under the real HOME; keep them reachable when HOME moves.
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
export HOME="$tmp/home" XDG_RUNTIME_DIR="$tmp/runtime" WITH_KEYRING_TMP="$tmp"
export XDG_DATA_HOME="$tmp/home/.local/share" XDG_CONFIG_HOME="$tmp/home/.config"
export XDG_CACHE_HOME="$tmp/home/.cache"
unset DBUS_SESSION_BUS_ADDRESS GNOME_KEYRING_CONTROL
status=0
dbus-run-session -- "$0" --inside-session "$@" || status=$?
exit "$status"

#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages speech-scorer needs, if any are missing.
# Usage: scripts/packages.sh build|app|test|package|docs   (as root, or with sudo available)
set -euo pipefail
BUILD=(pkg-config libasound2-dev)
APP=(libgl1 libegl1 libgl1-mesa-dri libxkbcommon-x11-0 libxcursor1 libxrandr2 libxi6 libx11-xcb1)
# Tests: a virtual microphone (PulseAudio null sink reached through ALSA's pulse plugin),
# speech to feed it (espeak-ng) and a reference converter (sox), a display for screenshots.
TEST=(pulseaudio pulseaudio-utils libasound2-plugins espeak-ng sox xvfb xauth x11-utils imagemagick xdotool)
# The keychain tests: a private D-Bus session (dbus-run-session) and a real Secret Service.
TEST+=(dbus gnome-keyring)
# The .deb: validators for the desktop entry, AppStream metainfo and the package itself,
# and rsvg-convert to draw the icon sizes from the SVG (scripts/package.sh).
PACKAGE=(dpkg-dev desktop-file-utils appstream lintian librsvg2-bin)
# The docs' report rendering (scripts/report-render.sh: print to PDF as a browser does, count
# the pages, draw a PNG). No test needs it.
DOCS=(chromium-headless-shell poppler-utils)
case "${1:-test}" in
  build) want=("${BUILD[@]}") ;;
  app) want=("${BUILD[@]}" "${APP[@]}") ;;
  test) want=("${BUILD[@]}" "${APP[@]}" "${TEST[@]}") ;;
  package) want=("${BUILD[@]}" "${PACKAGE[@]}") ;;
  docs) want=("${DOCS[@]}") ;;
  *) echo "usage: $0 build|app|test|package|docs" >&2; exit 2 ;;
esac
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${missing[@]}" >/dev/null

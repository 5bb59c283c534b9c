#!/usr/bin/env bash
# Draws the app icon's PNG sizes (the hicolor theme's 16–512 px) from its one source,
# assets/icons/ai.zenhire.SpeechScorer.svg, with rsvg-convert. Run it after editing the SVG and
# commit the PNGs (the package and the window icon use them; scripts/package.sh checks sizes).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v rsvg-convert >/dev/null || scripts/packages.sh package
svg=assets/icons/ai.zenhire.SpeechScorer.svg
for size in 16 22 24 32 48 64 128 256 512; do
  dir="assets/icons/hicolor/${size}x${size}/apps"
  mkdir -p "$dir"
  rsvg-convert --width "$size" --height "$size" "$svg" --output "$dir/ai.zenhire.SpeechScorer.png"
done
echo "drew $(ls assets/icons/hicolor | wc -l) sizes from $svg"

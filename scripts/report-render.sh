#!/usr/bin/env bash
# Renders a report (speech-scorer export --format report -o FILE.html) the way a browser
# prints it: to PDF with headless Chromium (A4, the page's own @page size and margins), says
# how many pages it took (a report must fit one), and to PNG with pdftoppm, to look at.
# Usage: scripts/report-render.sh REPORT.html OUT_BASE [DPI]   -> OUT_BASE.pdf, OUT_BASE.png
# Needs: chromium-headless-shell poppler-utils (scripts/packages.sh docs). Not used by tests.
set -euo pipefail
HTML=$(realpath "$1"); OUT=$2; DPI=${3:-96}
PROFILE=$(mktemp -d)
trap 'rm -rf "$PROFILE"' EXIT
# --no-sandbox: Chromium refuses to run as root with its sandbox (CI and this machine run as root).
chromium-headless-shell --no-sandbox --disable-gpu --user-data-dir="$PROFILE" \
  --no-pdf-header-footer --print-to-pdf="$OUT.pdf" "file://$HTML" >/dev/null 2>&1
PAGES=$(pdfinfo "$OUT.pdf" | awk '/^Pages:/ {print $2}')
pdftoppm -r "$DPI" -png -singlefile "$OUT.pdf" "$OUT"
echo "$OUT.pdf: $PAGES page(s); $OUT.png"
[ "$PAGES" = 1 ] || { echo "the report takes $PAGES pages, not one" >&2; exit 1; }

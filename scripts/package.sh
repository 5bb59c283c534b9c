#!/usr/bin/env bash
# Builds the .deb (cargo-deb) and checks it as a distribution would: desktop-file-validate,
# appstreamcli validate (the files and the installed tree), lintian (no errors; accepted
# warnings are overridden in packaging/lintian-overrides, each with its reason). Then installs
# it on this machine (dpkg -i), runs the installed /usr/bin/speech-scorer --version and checks
# the man page and completions landed, and removes it again unless --keep.
#
# Usage: scripts/package.sh [--profile release|dev] [--no-install] [--keep]
#   --profile release (default) builds an optimised binary: the package to ship.
#   --profile dev packages the debug binary a test run has just built (no second build; CI
#     uses it to stay in its time budget). Such a .deb is for checking, not shipping.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=release install=1 keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) profile="$2"; shift 2 ;;
    --no-install) install=0; shift ;;
    --keep) keep=1; shift ;;
    *) echo "usage: $0 [--profile release|dev] [--no-install] [--keep]" >&2; exit 2 ;;
  esac
done
case "$profile" in
  release) bindir=${CARGO_TARGET_DIR:-target}/release ;;
  dev) bindir=${CARGO_TARGET_DIR:-target}/debug ;;
  *) echo "package.sh: --profile is release or dev" >&2; exit 2 ;;
esac

export CARGO_TERM_COLOR=never CARGO_PROFILE_DEV_DEBUG=0
step() { printf '\n== %s (%ss)\n' "$1" "$SECONDS"; }

step "system packages"
scripts/packages.sh package
CARGO_DEB_VERSION=3.8.0
if ! cargo deb --version 2>/dev/null | grep -qx "cargo-deb $CARGO_DEB_VERSION"; then
  cargo install cargo-deb --locked --version "$CARGO_DEB_VERSION"
fi

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
arch=$(dpkg --print-architecture)
out=target/package
deb="$out/speech-scorer_${version}-1_${arch}.deb"

step "build ($profile)"
if [ "$profile" = release ]; then
  cargo build --locked --release --bin speech-scorer
else
  cargo build --locked --bin speech-scorer
fi
bin="$bindir/speech-scorer"

step "generated assets: manual pages, completions"
rm -rf "$out" && mkdir -p "$out/man" "$out/completions"
"$bin" man --dir "$out/man" 2>/dev/null
"$bin" completions bash >"$out/completions/speech-scorer"
"$bin" completions zsh >"$out/completions/_speech-scorer"
"$bin" completions fish >"$out/completions/speech-scorer.fish"
ls "$out/man" | wc -l | xargs printf '%s manual pages\n'

step "icons, metadata versions"
# Each PNG is the size its folder says (the IHDR width and height).
for png in assets/icons/hicolor/*/apps/ai.zenhire.SpeechScorer.png; do
  want=$(basename "$(dirname "$(dirname "$png")")")
  got=$(od -An -tu1 -j16 -N8 "$png" | awk '{printf "%dx%d", $3*256+$4, $7*256+$8}')
  [ "$want" = "$got" ] || { echo "package.sh: $png is $got, not $want (run scripts/icons.sh)" >&2; exit 1; }
done
ls assets/icons/hicolor | xargs echo "icon sizes:" scalable
# The newest release in the metainfo is this version.
newest=$(sed -n 's/.*<release version="\([^"]*\)".*/\1/p' packaging/ai.zenhire.SpeechScorer.metainfo.xml | head -n1)
[ "$newest" = "$version" ] || { echo "package.sh: metainfo's newest release is $newest, Cargo.toml says $version" >&2; exit 1; }
head -n1 packaging/changelog | grep -q "($version-1)" || { echo "package.sh: packaging/changelog does not start with $version-1" >&2; exit 1; }

step "desktop-file-validate"
desktop-file-validate packaging/ai.zenhire.SpeechScorer.desktop
echo "desktop-file-validate: no errors, no warnings"

step "appstreamcli validate"
appstreamcli validate --no-net packaging/ai.zenhire.SpeechScorer.metainfo.xml
# Pedantic notes are shown, not fatal: the only one is the CamelCase id (docs/packaging.md).
appstreamcli validate --no-net --pedantic packaging/ai.zenhire.SpeechScorer.metainfo.xml || true

step "cargo deb"
# The binary is the one built above (no rebuild); cargo-deb strips it and compresses the
# man pages and changelog. It warns that a dev profile is for checking only: it is.
fast=(); [ "$profile" = dev ] && fast=(--fast) # a check, not a download: lighter compression
cargo deb --no-build --profile "$profile" "${fast[@]}" --output "$deb" 2>&1 |
  sed '/dev profile is not supported/,/custom profiles/d'
[ -f "$deb" ] || { echo "package.sh: cargo deb made no $deb" >&2; exit 1; }
ls -l "$deb"
dpkg-deb --info "$deb" | sed -n '/Package:/,$p'
dpkg-deb --contents "$deb" | awk '{print $6}'

step "the installed tree"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg-deb -x "$deb" "$root"
desktop-file-validate "$root/usr/share/applications/ai.zenhire.SpeechScorer.desktop"
# The metainfo with its desktop entry and icons, as a software centre sees them.
appstreamcli validate-tree --no-net "$root"

step "lintian"
# Errors fail; warnings are printed. The accepted ones are overridden in the package itself.
lintian --fail-on error --display-info --show-overrides "$deb"
echo "lintian: no errors"

if [ "$install" = 1 ]; then
  step "install"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  was_installed=0
  dpkg-query -W -f='${Status}' speech-scorer 2>/dev/null | grep -q "install ok installed" && was_installed=1
  $SUDO dpkg -i "$deb"
  installed=$(/usr/bin/speech-scorer --version)
  echo "/usr/bin/speech-scorer --version: $installed"
  [ "$installed" = "speech-scorer $version" ] || { echo "package.sh: expected speech-scorer $version" >&2; exit 1; }
  man -w speech-scorer speech-scorer-score >/dev/null
  bash -c 'source /usr/share/bash-completion/completions/speech-scorer && complete -p speech-scorer' >/dev/null
  test -f /usr/share/zsh/vendor-completions/_speech-scorer
  test -f /usr/share/fish/vendor_completions.d/speech-scorer.fish
  echo "installed: binary, manual pages, bash/zsh/fish completions, desktop entry, icons, metainfo"
  if [ "$keep" = 0 ] && [ "$was_installed" = 0 ]; then
    $SUDO dpkg --purge speech-scorer >/dev/null
    echo "removed again (--keep leaves it installed)"
  fi
fi
step "done: $deb"

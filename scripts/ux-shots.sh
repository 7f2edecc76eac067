#!/usr/bin/env bash
# Pictures of the console's main pages for docs/ux.md.
#
# Runs the journey suite (internal/journey) with a folder for its pictures,
# then copies the main pages — overview, subscriptions, a subscription, the
# register form, history, a call, inbox, audit, gateways — at 1280 px and
# 390 px, in English and Chinese, light, into docs/ux/ as
# <lang>-<width>-<page>.png, made smaller with pngquant when it is installed
# (apt-get install pngquant). Commit what changed.
#
# Usage: scripts/ux-shots.sh        (from the repository root; needs what the
#        tests need: PostgreSQL on 127.0.0.1:5432 and chromium; set
#        CCSUB_AXE_JS to also check accessibility)
set -euo pipefail
cd "$(dirname "$0")/.."

shots="$(mktemp -d)"
trap 'rm -rf "$shots"' EXIT
CCSUB_JOURNEY_SHOTS="$shots" go test -count=1 ./internal/journey -run 'TestJourneys/(en|zh)-(1280|390)-light$'

# The step each page is pictured at (see journey() in internal/journey).
declare -A steps=(
  [overview]=overview [subscriptions]=subscriptions [subscription]=alive [register]=register-form
  [history]=history-filtered [call]=call [inbox]=inbox [audit]=audit [gateways]=gateway-tested
)
mkdir -p docs/ux
for lang in en zh; do
  for width in 1280 390; do
    for page in "${!steps[@]}"; do
      src=("$shots/$lang-$width-light/"[0-9][0-9]-"${steps[$page]}".png)
      if [ ! -f "${src[0]}" ]; then echo "no picture of step ${steps[$page]} for $lang-$width" >&2; exit 1; fi
      dst="docs/ux/$lang-$width-$page.png"
      if command -v pngquant >/dev/null 2>&1; then
        pngquant --quality=60-90 --speed 3 --force --output "$dst" "${src[0]}"
      else
        cp "${src[0]}" "$dst"
      fi
    done
  done
done
ls -l docs/ux

#!/usr/bin/env bash
# Remake docs/img/html-report.png, the README's picture of the HTML report: dry-run
# docs/img/timeline-migration.sql on the demo schema, open the page in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
.venv/bin/pgfence dryrun --schema scenarios/demo/schema.sql --format json \
    --output "html=$out/report.html" docs/img/timeline-migration.sql >/dev/null || true
chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --no-first-run --user-data-dir="$out/profile" \
    --hide-scrollbars --window-size=1280,860 --screenshot="$out/shot.png" \
    "file://$out/report.html" 2>/dev/null
cp "$out/shot.png" docs/img/html-report.png
echo "docs/img/html-report.png"

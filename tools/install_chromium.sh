#!/usr/bin/env bash
# Test set-up only: headless Chromium for the HTML report's browser test
# (tests/reporting/test_html_browser.py). Installs Debian's `chromium` when it is missing
# and this is root on a Debian-like system; otherwise says so, and that test skips.
set -u
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "no chromium (and cannot apt-get install it here): the HTML browser test will skip"
    exit 0
fi
echo "installing chromium for the HTML browser test (apt-get)…"
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null 2>&1; then
    echo "chromium could not be installed: the HTML browser test will skip"
fi
exit 0

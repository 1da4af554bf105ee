#!/usr/bin/env bash
# Installs Debian's chromium for the dev UI's browser test (tests/server/test_browser.py),
# which Playwright drives through executable_path: no browser download.
set -euo pipefail

if ! command -v chromium >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq chromium >&2
fi
chromium --version 2>/dev/null | head -n 1

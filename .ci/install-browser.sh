#!/usr/bin/env bash
# Debian's headless Chromium, its driver and graphviz, for tests/docs/test_site.py's
# browser tests and draw_graph's SVG; a no-op when they are already installed.
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null && command -v dot >/dev/null; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver graphviz >/dev/null

#!/usr/bin/env bash
# Install the system programs the test suite needs: Graphviz (dot) and
# Chromium (headless, for the HTML page tests). Debian packages; needs root.
# Skips what is already there. Fails loudly if it cannot install.
set -euo pipefail
need=()
command -v dot >/dev/null 2>&1 || need+=(graphviz)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing system packages: ${need[*]}" >&2
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" fonts-dejavu-core >/dev/null
fi
command -v dot >/dev/null || { echo "Graphviz's dot is still missing" >&2; exit 1; }
[ -x /usr/bin/chromium ] || { echo "/usr/bin/chromium is still missing" >&2; exit 1; }

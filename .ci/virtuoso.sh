#!/usr/bin/env bash
# Virtuoso open source from Debian's packages, for the remote-store tests
# (tests/virtuoso.py starts its own server on loopback, free ports, a temporary database).
# Installs only what is missing; needs root (or sudo) when it has to install.
set -euo pipefail
if command -v virtuoso-t >/dev/null 2>&1 && command -v isql-vt >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "virtuoso-opensource is missing and this is not root: apt-get install -y virtuoso-opensource" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# virtuoso-t and isql-vt are in virtuoso-opensource-7-bin; the recommends (web UI, X tools) are not needed.
$SUDO apt-get install -y -qq --no-install-recommends virtuoso-opensource >/dev/null
command -v virtuoso-t >/dev/null && command -v isql-vt >/dev/null
(virtuoso-t -? 2>&1 || true) | sed -n '2p'

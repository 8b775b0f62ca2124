#!/usr/bin/env bash
# Debian packages the test suite needs (chromium, virtuoso, Jena); installs only what is missing.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v virtuoso-t >/dev/null 2>&1 || need+=(virtuoso-opensource)
# Jena's command-line tools (rsparql, the real Java client): Debian ships them as jars only.
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
test -f /usr/share/java/jena-cmds.jar || need+=(libapache-jena-java)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "missing Debian packages: ${need[*]} (run as root or install them)" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

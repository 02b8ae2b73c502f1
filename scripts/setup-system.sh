#!/usr/bin/env bash
# Installs the Debian packages odekake needs, only when something is missing.
# Safe to run repeatedly; used by `make run`, `make test` and .ci/run.
# Extra packages for one task can be named as arguments: `scripts/setup-system.sh wrk` (make bench).
set -euo pipefail
pkgs=(libsqlite3-mod-spatialite postgresql-15-postgis-3 chromium chromium-driver
      python3-venv python3-dev fonts-noto-cjk nginx-light openssl "$@")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing system packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

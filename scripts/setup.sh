#!/usr/bin/env bash
# Installs everything rtvoice needs on a Debian or Ubuntu machine, then checks the result with `rtvoice doctor`:
#   - Debian packages: the local speech stack (pocketsphinx, flite, espeak-ng); sox, redis-server, openssl (a
#     test certificate) and recorded speech (pocketsphinx-testdata) for the tests and benchmarks;
#   - npm dependencies, which bring rtvoice's own Node.js 24 (the npm package `node`), whatever Node runs npm.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(redis-server libpocketsphinx3 pocketsphinx-en-us libflite1 espeak-ng sox pocketsphinx-testdata openssl)

step() { printf '\n==> %s\n' "$*"; }

missing=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if ((${#missing[@]} > 0)); then
  step "Installing Debian packages: ${missing[*]}"
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "Run as root, or install sudo, to install: ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
  fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  step "Debian packages already installed"
fi

step "Installing npm dependencies (with Node.js 24)"
command -v npm >/dev/null || { echo "npm is missing: install Node.js and npm first (apt-get install -y nodejs npm)" >&2; exit 1; }
npm ci --no-audit --no-fund

step "Checking the machine"
./node_modules/.bin/node bin/rtvoice.js doctor

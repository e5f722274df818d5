#!/usr/bin/env bash
# Install the Debian/Ubuntu packages the app needs (given as arguments) when their programs
# are missing; without apt or root, say exactly what to install.
set -euo pipefail
declare -A program_of=([ffmpeg]=ffmpeg [redis-server]=redis-server [chromium]=chromium [npm]=npm)
# docker-compose only checks the compose file here: its recommended docker.io (a daemon) is not wanted.
declare -A without_recommends=([docker-compose]=1)
missing=()
for package in "$@"; do
  command -v "${program_of[$package]:-$package}" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else sudo="none"; fi
  if [ "$sudo" != "none" ]; then
    echo "Installing ${missing[*]} with apt-get"
    $sudo apt-get update -qq
    plain=() lean=()
    for package in "${missing[@]}"; do
      if [ -n "${without_recommends[$package]:-}" ]; then lean+=("$package"); else plain+=("$package"); fi
    done
    [ ${#plain[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${plain[@]}" >/dev/null
    [ ${#lean[@]} -eq 0 ] || \
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${lean[@]}" >/dev/null
    exit 0
  fi
fi
echo "Missing system packages: ${missing[*]}. Install them, e.g.: sudo apt-get install ${missing[*]}" >&2
exit 1

#!/usr/bin/env bash
# Makes sure ffmpeg, ffprobe and redis-server are on PATH: installs them from Debian packages when
# run as root, otherwise says in one line how to get them. Used before `npm start`.
set -euo pipefail
missing=()
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || missing+=(ffmpeg)
if [ -z "${REDIS_URL:-}" ]; then command -v redis-server >/dev/null 2>&1 || missing+=(redis-server); fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]} (apt-get)…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi
echo "missing ${missing[*]}: install with \`sudo apt-get install ${missing[*]}\` (or set FFMPEG_PATH/FFPROBE_PATH, and REDIS_URL for an external Redis)." >&2
exit 1

#!/usr/bin/env bash
# What the tests need on this machine: ffmpeg, a PostgreSQL on 127.0.0.1:5432 (user postgres,
# database test, trust auth), a Redis on 127.0.0.1:6379 and Chromium at /usr/bin/chromium (the studio's
# browser tests drive it with playwright-core; `playwright install` cannot download one here). Installs (as root, from Debian
# packages) and starts whatever is missing; does nothing when all is there. TEST_DATABASE_URL /
# TEST_REDIS_URL pointing elsewhere skip the local services.
set -euo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
as_root() { [ "$(id -u)" -eq 0 ]; }

need_pg=1; need_redis=1
[ -n "${TEST_DATABASE_URL:-}" ] && need_pg=0
[ -n "${TEST_REDIS_URL:-}" ] && need_redis=0

missing=()
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || missing+=(ffmpeg)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ $need_redis -eq 1 ] && ! port_open 6379; then command -v redis-server >/dev/null 2>&1 || missing+=(redis-server); fi
if [ $need_pg -eq 1 ] && ! port_open 5432; then
  ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing+=(postgresql)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if ! as_root; then
    echo "the tests need ${missing[*]}: run \`sudo apt-get install ${missing[*]}\` (or run this as root)." >&2
    exit 1
  fi
  echo "installing ${missing[*]} (apt-get)…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ $need_redis -eq 1 ] && ! port_open 6379; then
  echo "starting redis-server on 127.0.0.1:6379" >&2
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no --maxmemory-policy noeviction >/dev/null
  for _ in $(seq 1 50); do port_open 6379 && break; sleep 0.1; done
fi

if [ $need_pg -eq 1 ] && ! port_open 5432; then
  if ! as_root; then echo "PostgreSQL is not running on 127.0.0.1:5432; start it (or set TEST_DATABASE_URL)." >&2; exit 1; fi
  echo "starting PostgreSQL on 127.0.0.1:5432" >&2
  if command -v pg_ctlcluster >/dev/null 2>&1 && ls -d /etc/postgresql/*/main >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start || true
    for _ in $(seq 1 50); do port_open 5432 && break; sleep 0.2; done
  fi
  if ! port_open 5432; then
    bindir="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
    datadir=/var/lib/postgresql/video-jobs-test
    if [ ! -s "$datadir/PG_VERSION" ]; then
      mkdir -p "$datadir" && chown postgres:postgres "$datadir"
      runuser -u postgres -- "$bindir/initdb" -D "$datadir" -A trust -U postgres >/dev/null
    fi
    runuser -u postgres -- "$bindir/pg_ctl" -D "$datadir" -o "-c listen_addresses=127.0.0.1 -p 5432 -k /tmp" \
      -l /tmp/video-jobs-test-postgres.log -w start >/dev/null
  fi
fi

if [ $need_pg -eq 1 ]; then
  # Trust auth for local TCP is what the tests use; the database `test` holds one schema per test file.
  if command -v psql >/dev/null 2>&1; then
    psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'" 2>/dev/null | grep -q 1 ||
      psql -h 127.0.0.1 -U postgres -d postgres -c 'CREATE DATABASE test' >/dev/null
  fi
fi

#!/usr/bin/env bash
# A local PostgreSQL for the control-plane tests: Debian's packaged server, started if needed, with a
# `lynex` role (password `lynex`) that may create a database per test.
# Usage: scripts/postgres.sh start|url
set -euo pipefail
PORT="${LYNEX_PG_PORT:-5432}"
URL="postgresql+asyncpg://lynex:lynex@127.0.0.1:${PORT}/postgres"

ensure_installed() {
  if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    echo "postgres: installing Debian's postgresql package"
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    else
      echo "postgres: not installed and not root; install the postgresql package" >&2; exit 1
    fi
  fi
}

start() {
  ensure_installed
  version=$(ls /usr/lib/postgresql | sort -n | tail -1)
  if ! pg_lsclusters -h 2>/dev/null | grep -q "^$version main"; then
    pg_createcluster "$version" main >/dev/null
  fi
  if ! pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $4}' | grep -q online; then
    pg_ctlcluster "$version" main start
  fi
  deadline=$((SECONDS + 30))
  until su postgres -c "psql -qtAc 'select 1' -p $PORT" >/dev/null 2>&1; do
    if [ $SECONDS -gt $deadline ]; then
      echo "postgres: did not answer within 30s" >&2
      tail -30 /var/log/postgresql/postgresql-"$version"-main.log >&2 || true
      exit 1
    fi
    sleep 0.2
  done
  su postgres -c "psql -qtAc \"DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='lynex') THEN CREATE ROLE lynex LOGIN PASSWORD 'lynex' CREATEDB; END IF; END \\\$\\\$;\" -p $PORT" >/dev/null
  echo "postgres: ready ($URL)"
}

case "${1:-}" in
  start) start ;;
  url) echo "$URL" ;;
  *) echo "usage: $0 start|url" >&2; exit 2 ;;
esac

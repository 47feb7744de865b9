#!/usr/bin/env bash
# `make dev`: local Kafka + Lynex (all roles) on 127.0.0.1:8000, with a dev project and API key.
set -euo pipefail
cd "$(dirname "$0")/.."
export LYNEX_HOME="${LYNEX_HOME:-$PWD/.lynex}"
mkdir -p "$LYNEX_HOME"

bash scripts/kafka.sh start

# The dashboard: (re)built when its sources are newer than the last build.
if [ -f dashboard/package.json ]; then
  if [ ! -f dashboard/dist/index.html ] || [ -n "$(find dashboard/src dashboard/index.html dashboard/package.json -newer dashboard/dist/index.html 2>/dev/null | head -1)" ]; then
    echo "dev: building the dashboard (npm ci && npm run build)"
    if ! (cd dashboard && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run build); then
      echo "dev: WARNING: the dashboard did not build; Lynex starts without it (API and ingest work)" >&2
    fi
  fi
fi

# A dev project and key, generated once and kept in .lynex/dev.env (gitignored).
DEV_ENV="$LYNEX_HOME/dev.env"
if [ ! -f "$DEV_ENV" ]; then
  key="sk_live_dev$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(24))')"
  password="$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(12))')"
  printf 'LYNEX_INIT__PROJECT_ID=dev\nLYNEX_INIT__API_KEY=%s\nLYNEX_INIT__USER_EMAIL=dev@lynex.local\nLYNEX_INIT__USER_PASSWORD=%s\n' \
    "$key" "$password" > "$DEV_ENV"
  chmod 600 "$DEV_ENV"
fi
set -a; . "$DEV_ENV"; set +a
export LYNEX_HTTP__HOST="${LYNEX_HTTP__HOST:-127.0.0.1}" LYNEX_HTTP__PORT="${LYNEX_HTTP__PORT:-8000}"
URL="http://$LYNEX_HTTP__HOST:$LYNEX_HTTP__PORT"

.venv/bin/lynex-server migrate

cat <<MSG

  Lynex is starting on $URL   (dashboard at /, API at /api/v1, OpenAPI at /schema)
  Ctrl-C stops it; \`make kafka-stop\` stops Kafka.
  dashboard login: ${LYNEX_INIT__USER_EMAIL:-(sign up)} / ${LYNEX_INIT__USER_PASSWORD:-}
  project: $LYNEX_INIT__PROJECT_ID
  API key: $LYNEX_INIT__API_KEY     (all kept in $DEV_ENV)

  Send an event:
    curl -s -X POST $URL/api/v1/events -H "X-API-Key: $LYNEX_INIT__API_KEY" \\
      -H 'Content-Type: application/json' \\
      -d '{"type":"llm_call","body":{"model":"gpt-4o-mini","tokens":{"input":12,"output":40},"latencyMs":350}}'

MSG
exec .venv/bin/lynex-server serve --roles "${LYNEX_ROLES:-all}"

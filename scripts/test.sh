#!/usr/bin/env bash
# `make test`: static checks, then every test against a real local Kafka broker.
# Starts the broker if none is running and stops it again afterwards (only if it started it).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv
started_kafka=0
t0=$(date +%s)

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

cleanup() {
  if [ "$started_kafka" = 1 ]; then bash scripts/kafka.sh stop || true; fi
}
trap cleanup EXIT

step "static checks: ruff, mypy --strict, import boundaries, contract schema"
$VENV/bin/ruff check .
$VENV/bin/ruff format --check .
$VENV/bin/mypy
$VENV/bin/lint-imports --no-cache

if [ -f scripts/check-deploy.sh ]; then
  step "deployment: helm lint/template, kubeconform, compose schema"
  bash scripts/check-deploy.sh
fi

for pkg in sdk/js dashboard; do
  if [ -f "$pkg/package.json" ]; then
    step "$pkg: npm ci, build, unit tests"
    (
      cd "$pkg"
      # Reinstall only when the lock file changed since the last install.
      if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.lynex-lock; then
        npm ci --no-audit --no-fund
        cp package-lock.json node_modules/.lynex-lock
      fi
      npm run build
      npm test
    )
  fi
done

step "kafka"
if bash scripts/kafka.sh status >/dev/null 2>&1; then
  echo "using the running broker"
else
  bash scripts/kafka.sh start
  started_kafka=1
fi

step "postgresql (control-plane tests run on SQLite and PostgreSQL)"
bash scripts/postgres.sh start
export LYNEX_TEST_POSTGRES="$(bash scripts/postgres.sh url)"

step "pytest: unit, integration (real Kafka, embedded ClickHouse, PostgreSQL), e2e"
set +e
$VENV/bin/python -m pytest tests -q --durations=15 "$@"
rc=$?
set -e
if [ "$rc" = 5 ]; then
  echo "pytest collected no tests: that is a failure" >&2
  rc=1
fi
echo "make test: pytest exit $rc, $(( $(date +%s) - t0 ))s in all"
exit "$rc"

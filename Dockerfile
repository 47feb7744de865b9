# syntax=docker/dockerfile:1.7
# Lynex server: one image with every role (gateway, streams, query) and the built dashboard.
# The command picks the role:   docker run IMAGE serve --roles gateway --no-migrate
#                               docker run IMAGE migrate
# Runs as uid 10001 and works with a read-only root file system: the only writable paths it needs are
# LYNEX_HOME (/var/lib/lynex) and /tmp — mount a volume or tmpfs on both (compose.yaml and the Helm
# chart do). Build:  docker build -t lynex/lynex-server:dev .
# Base images are pinned by tag; pin them by digest (FROM image@sha256:...) for reproducible releases.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:22-bookworm-slim

# --- dashboard: React + Vite build, static files only ------------------------------------------------
FROM ${NODE_IMAGE} AS dashboard
WORKDIR /src/dashboard
ENV CI=true NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
# The lock file alone decides the dependency layer, so editing the app does not re-run `npm ci`.
COPY dashboard/package.json dashboard/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci
COPY dashboard/ ./
RUN npm run build && test -f dist/index.html

# --- build: a virtualenv with the server and its pinned dependencies -----------------------------------
FROM ${PYTHON_IMAGE} AS build
ARG TARGETARCH
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PYTHONDONTWRITEBYTECODE=1
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# amd64: every dependency ships a manylinux wheel (checked with `pip install --dry-run --only-binary`).
# arm64: faust-streaming publishes no aarch64 wheel, so only there a compiler joins this (discarded) stage.
# hadolint ignore=DL3008
RUN if [ "${TARGETARCH:-amd64}" != "amd64" ]; then \
      apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev \
      && rm -rf /var/lib/apt/lists/*; \
    fi
RUN python -m venv /opt/lynex
ENV PATH=/opt/lynex/bin:$PATH
WORKDIR /src
# Dependencies first, from pyproject.toml only: a source change reuses this layer.
COPY pyproject.toml ./
COPY deploy/docker/requirements.py /tmp/requirements.py
RUN --mount=type=cache,target=/root/.cache/pip \
    python /tmp/requirements.py pyproject.toml all > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt
COPY README.md ./
COPY contracts ./contracts
COPY core ./core
COPY gateway ./gateway
COPY streams ./streams
COPY query ./query
# Dependencies are already satisfied, so this installs the server itself; `pip check` fails the build on
# a conflict instead of at run time. DL3013 (pin pip packages) does not apply: `.` is this source tree,
# and its dependencies are pinned in pyproject.toml.
# hadolint ignore=DL3013
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install '.[all]' && pip check \
    && lynex-server settings > /dev/null

# --- runtime ------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="lynex-server" \
      org.opencontainers.image.description="Lynex observability pipeline for AI apps: gateway, streams, query and dashboard" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 lynex \
    && useradd --system --uid 10001 --gid lynex --home-dir /var/lib/lynex --no-create-home \
       --shell /usr/sbin/nologin lynex \
    && install -d -o lynex -g lynex -m 0750 /var/lib/lynex
COPY --from=build /opt/lynex /opt/lynex
COPY --from=dashboard /src/dashboard/dist /opt/lynex/dashboard
# Containers listen on every interface and log JSON; LYNEX_HOME is the only state directory.
ENV PATH=/opt/lynex/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    LYNEX_HOME=/var/lib/lynex \
    LYNEX_HTTP__HOST=0.0.0.0 \
    LYNEX_HTTP__PORT=8000 \
    LYNEX_LOG__FORMAT=json
# The working directory is the writable state directory, so a library that writes relative paths
# (e.g. a stream processor's table data) does not fail on a read-only root file system.
WORKDIR /var/lib/lynex
USER 10001:10001
EXPOSE 8000
# /health is liveness (the process serves HTTP); orchestrators probe /ready for readiness themselves.
HEALTHCHECK --interval=15s --timeout=4s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('LYNEX_HTTP__PORT', '8000')}/health\", timeout=3)"]
ENTRYPOINT ["lynex-server"]
CMD ["serve", "--roles", "all"]

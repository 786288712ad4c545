# syntax=docker/dockerfile:1.7
#
# One Dockerfile for every service of the uv workspace; the service is a build argument:
#
#   docker build --build-arg SERVICE=housing    -t franoi/housing:0.1.0 .
#   docker build --build-arg SERVICE=projection -t franoi/projection:0.1.0 .
#
# The entrypoint is the service's console script (franoi-<SERVICE>), so the
# subcommand is the container's command:
#
#   docker run franoi/housing:0.1.0 serve      # HTTP API (+ outbox relay unless FRANOI_RELAY_ENABLED=false)
#   docker run franoi/housing:0.1.0 relay      # outbox relay only
#   docker run franoi/housing:0.1.0 migrate    # apply the SQL migrations, then exit
#
# The final image holds the Python runtime and one virtual environment, built
# without development dependencies and without franoi-devenv; it runs as an
# unprivileged user (uid/gid 10001) and works with a read-only root filesystem
# (only /tmp needs to be writable).

ARG PYTHON_VERSION=3.11
ARG DEBIAN_RELEASE=bookworm

# ---------------------------------------------------------------------------
# uv on top of the same Python the final image runs
# ---------------------------------------------------------------------------
FROM python:${PYTHON_VERSION}-slim-${DEBIAN_RELEASE} AS uv
ARG UV_VERSION=0.13.9
RUN python -m pip install --no-cache-dir --root-user-action=ignore "uv==${UV_VERSION}"

# ---------------------------------------------------------------------------
# The workspace manifests only (root and member pyproject.toml files, uv.lock).
# This stage runs again on every change, but its output changes only when a
# manifest does, so the dependency layer below stays cached while code changes.
# ---------------------------------------------------------------------------
FROM uv AS manifests
WORKDIR /src
COPY . .
RUN find . -type f ! -name pyproject.toml ! -name uv.lock -delete \
 && find . -mindepth 1 -type d -empty -delete

# ---------------------------------------------------------------------------
# Build the service's virtual environment in /app/.venv
# ---------------------------------------------------------------------------
FROM uv AS builder
ARG SERVICE
RUN test -n "${SERVICE}" \
 || { echo "set the service: docker build --build-arg SERVICE=<housing|projection|...>" >&2; exit 1; }

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3 \
    UV_PROJECT_ENVIRONMENT=/app/.venv

WORKDIR /src

# 1. Third-party dependencies of the service, from the lock file only.
COPY --from=manifests /src/ /src/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-workspace --package "franoi-${SERVICE}"

# 2. The workspace code: the service and the libraries it depends on, installed
#    as regular (non-editable) packages so the source tree is not needed at run time.
COPY libs/ libs/
COPY services/ services/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --package "franoi-${SERVICE}"

# A stable entrypoint name for every service image.
RUN test -x "/app/.venv/bin/franoi-${SERVICE}" \
 && ln -s "franoi-${SERVICE}" /app/.venv/bin/franoi-service

# ---------------------------------------------------------------------------
# Runtime image: Python, the virtual environment, an unprivileged user
# ---------------------------------------------------------------------------
FROM python:${PYTHON_VERSION}-slim-${DEBIAN_RELEASE} AS runtime
ARG SERVICE
ARG VERSION=0.1.0

LABEL org.opencontainers.image.title="franoi-${SERVICE}" \
      org.opencontainers.image.description="Fra Noi network: the ${SERVICE} service" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.vendor="Fra Noi network"

# No package manager front-ends are needed at run time.
RUN (python -m pip uninstall --yes pip setuptools wheel >/dev/null 2>&1 || true) \
 && groupadd --system --gid 10001 franoi \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin franoi

COPY --from=builder /app/.venv /app/.venv

ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FRANOI_SERVICE_NAME="${SERVICE}" \
    FRANOI_HTTP_HOST=0.0.0.0 \
    FRANOI_HTTP_PORT=8000

WORKDIR /app
USER 10001:10001
EXPOSE 8000

ENTRYPOINT ["/app/.venv/bin/franoi-service"]
CMD ["serve"]

# Guildhall container image.
#
#   docker build -t guildhall .
#   docker run --rm -e DATABASE_URL=postgresql://... guildhall            # migrate, then run the bot
#   docker run --rm guildhall guildhall --help
#
# Build args:
#   PYTHON_IMAGE   base image of both stages (default the official slim image); the
#                  stand-in from scripts/docker-standin-base.sh can be substituted.
#   EXTRA_CA_PEM   PEM text of extra CA certificates pip should trust while building
#                  (a TLS-intercepting proxy). Used in the builder stage only: it is not
#                  in the final image.
# Written for the classic builder and BuildKit alike (no heredocs, no RUN --mount).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---------------------------------------------------------------------------
# builder: a virtualenv in /opt/venv with Guildhall and its runtime dependencies
# (no dev extra), built from a wheel of this tree.
# ---------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS builder

ARG EXTRA_CA_PEM=""
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

SHELL ["/bin/sh", "-eu", "-c"]

RUN python -m venv /opt/venv \
 && if [ -n "${EXTRA_CA_PEM}" ]; then \
        cat /etc/ssl/certs/ca-certificates.crt > /opt/pip-ca.pem \
        && printf '%s\n' "${EXTRA_CA_PEM}" >> /opt/pip-ca.pem \
        && printf '[global]\ncert = /opt/pip-ca.pem\n' > /etc/pip.conf; \
    fi
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src

# Dependencies first, read from pyproject.toml, so that a code change does not
# reinstall them.
COPY pyproject.toml README.md ./
RUN python -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' \
        > /tmp/requirements.txt \
 && pip install --no-cache-dir -r /tmp/requirements.txt

# Then Guildhall itself: a wheel (the migrations in aerich/ become app/_migrations).
COPY app/ app/
COPY aerich/ aerich/
# Guard: when aerich/ holds migration files, the installed package must carry them.
# pip/setuptools are then dropped from the venv: the runtime installs nothing.
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /tmp/dist . \
 && pip install --no-cache-dir --no-deps /tmp/dist/*.whl \
 && app_dir="$(python -P -c 'import app, os; print(os.path.dirname(app.__file__))')" \
 && if [ -n "$(find aerich -type f -print -quit)" ] && [ ! -d "${app_dir}/_migrations" ]; then \
        echo "aerich/ has migrations but ${app_dir}/_migrations is missing" >&2; exit 1; \
    fi \
 && pip uninstall --no-cache-dir -y pip setuptools

# ---------------------------------------------------------------------------
# runtime: the base image + the virtualenv, run as an unprivileged user.
# ---------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

LABEL org.opencontainers.image.title="guildhall" \
      org.opencontainers.image.description="A Discord bot in which every guild gets its own PostgreSQL schema." \
      org.opencontainers.image.licenses="MIT"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    DATA_DIR=/data \
    HEALTH_HOST=0.0.0.0 \
    GUILDHALL_CONTAINER_DATA_DIR=/data \
    GUILDHALL_CONTAINER_HEALTH_HOST=0.0.0.0 \
    HEALTH_PORT=8080 \
    GUILDHALL_MIGRATE_ON_START=1

COPY --from=builder /opt/venv /opt/venv
COPY scripts/docker-entrypoint.sh /usr/local/bin/guildhall-entrypoint
COPY scripts/docker-healthcheck.py /usr/local/bin/guildhall-healthcheck

RUN groupadd --system --gid 10001 guildhall \
 && useradd --system --uid 10001 --gid guildhall --home-dir /home/guildhall \
        --create-home --shell /usr/sbin/nologin guildhall \
 && mkdir -p /data /app \
 && chown guildhall:guildhall /data \
 && chmod 0755 /usr/local/bin/guildhall-entrypoint /usr/local/bin/guildhall-healthcheck

# Working directory: a .env mounted at /app/.env is read (or, instead, the file
# GUILDHALL_ENV_FILE names); --env-file values win over any file. State goes to /data.
WORKDIR /app
VOLUME ["/data"]
EXPOSE 8080
USER 10001:10001

# GET /healthz on HEALTH_PORT (200 = gateway and database ok, 503 = degraded) with the
# standard library (slim images have no curl); exit 1 on a refused connection, a timeout or
# a non-2xx answer, with one line (`docker inspect` shows it) saying which part is down.
# HEALTH_PORT=0 turns the endpoint off: then nothing to check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "/usr/local/bin/guildhall-healthcheck"]

ENTRYPOINT ["/usr/local/bin/guildhall-entrypoint"]
CMD ["guildhall", "run"]

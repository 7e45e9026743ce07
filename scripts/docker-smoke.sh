#!/usr/bin/env bash
# Smoke test of the Guildhall image: build it, then run against a PostgreSQL
#   guildhall db migrate      (twice: the second run must be a no-op)
#   guildhall doctor
#   guildhall --help
# printing each command's output. Exits non-zero if the build or any step fails.
#
# Usage: scripts/docker-smoke.sh
#
# Environment (all optional):
#   IMAGE          tag to build and test                 (guildhall:smoke)
#   PYTHON_IMAGE   base image                            (python:3.11-slim-bookworm)
#                  where Docker Hub is out of reach, build a stand-in first:
#                    scripts/docker-standin-base.sh
#                    PYTHON_IMAGE=guildhall/standin-python:3.11 scripts/docker-smoke.sh
#   SKIP_BUILD=1   test an already built IMAGE
#   BUILD_NETWORK  network of the build containers       (host: pip reaches PyPI through
#                  the host's own network set-up, proxies included)
#   BUILD_CA_FILE  PEM file of extra CAs pip must trust during the build, e.g. a
#                  TLS-intercepting proxy's (only those: a build arg holds at most 128 KiB,
#                  so not a whole system bundle). Default: the host's locally added CAs,
#                  /usr/local/share/ca-certificates/*.crt, if any; "none" passes nothing.
#                  Passed as the EXTRA_CA_PEM build arg; it stays out of the final image.
#   SMOKE_DB       where PostgreSQL comes from:
#                    container  a throwaway PG_IMAGE container (the compose `db` image)
#                               on a private network, reached as db:5432
#                    host       the host's server (PGHOST:PGPORT, user PGUSER, trust auth),
#                               reached with --network host
#                    auto       (default) container if PG_IMAGE is present or can be
#                               pulled, else host
#   PG_IMAGE       (postgres:15)     PGHOST (127.0.0.1)  PGPORT (5432)  PGUSER (postgres)
#   SMOKE_DB_NAME  database created for the test and dropped at the end (guildhall_smoke)
#   STEP_TIMEOUT   seconds allowed to each step in the container (300)
#   SMOKE_DISCORD_TOKEN      token-shaped dummy for doctor's offline token check
#                            (smoke.not-a.token); nothing here logs in to Discord
#   SMOKE_TENANT_CACHE_SIZE  TENANT_CACHE_SIZE for the steps (20), so that doctor's
#                            connection budget fits a server with max_connections=100
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

IMAGE="${IMAGE:-guildhall:smoke}"
PYTHON_IMAGE="${PYTHON_IMAGE:-python:3.11-slim-bookworm}"
SKIP_BUILD="${SKIP_BUILD:-0}"
BUILD_NETWORK="${BUILD_NETWORK:-host}"
BUILD_CA_FILE="${BUILD_CA_FILE:-}"
SMOKE_DB="${SMOKE_DB:-auto}"
PG_IMAGE="${PG_IMAGE:-postgres:15}"
PGHOST="${PGHOST:-127.0.0.1}"
PGPORT="${PGPORT:-5432}"
PGUSER="${PGUSER:-postgres}"
SMOKE_DB_NAME="${SMOKE_DB_NAME:-guildhall_smoke}"
STEP_TIMEOUT="${STEP_TIMEOUT:-300}"
SMOKE_DISCORD_TOKEN="${SMOKE_DISCORD_TOKEN:-smoke.not-a.token}"
SMOKE_TENANT_CACHE_SIZE="${SMOKE_TENANT_CACHE_SIZE:-20}"

RUN_ID="guildhall-smoke-$$"
CONTAINERS=()   # containers to remove at exit
NETWORK=""      # network to remove at exit
HOST_DB=0       # 1 once the host database was created
RESULTS=()
FAILED=0

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'docker-smoke: %s\n' "$*" >&2; exit 1; }

# shellcheck disable=SC2317  # only ever invoked by the EXIT trap
cleanup() {
    local rc=$?
    if ((${#CONTAINERS[@]})); then
        docker rm -f "${CONTAINERS[@]}" >/dev/null 2>&1 || true
    fi
    if [[ -n "${NETWORK}" ]]; then
        docker network rm "${NETWORK}" >/dev/null 2>&1 || true
    fi
    if ((HOST_DB)); then
        dropdb -h "${PGHOST}" -p "${PGPORT}" -U "${PGUSER}" --if-exists --force "${SMOKE_DB_NAME}" \
            || echo "docker-smoke: could not drop ${SMOKE_DB_NAME}" >&2
    fi
    exit "${rc}"
}
trap cleanup EXIT

# --- build ------------------------------------------------------------------
build_image() {
    local args=(build --network "${BUILD_NETWORK}" --build-arg "PYTHON_IMAGE=${PYTHON_IMAGE}" -t "${IMAGE}")
    local ca_pem="" ca_from=""
    if [[ "${BUILD_CA_FILE}" == "none" ]]; then
        :
    elif [[ -n "${BUILD_CA_FILE}" ]]; then
        [[ -r "${BUILD_CA_FILE}" ]] || die "BUILD_CA_FILE ${BUILD_CA_FILE} is not readable"
        ca_pem="$(cat "${BUILD_CA_FILE}")"
        ca_from="${BUILD_CA_FILE}"
    elif compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
        ca_pem="$(awk 1 /usr/local/share/ca-certificates/*.crt)"  # awk 1: a newline after each file
        ca_from="/usr/local/share/ca-certificates/*.crt"
    fi
    if [[ -n "${ca_pem}" ]]; then
        ((${#ca_pem} < 120000)) || die "the extra CAs (${ca_from}) are too big for a build arg"
        args+=(--build-arg "EXTRA_CA_PEM=${ca_pem}")
    fi
    # The Docker CLI defaults to BuildKit, which needs the buildx plugin; without it
    # fall back to the classic builder (the Dockerfile works with both).
    if ! docker buildx version >/dev/null 2>&1; then
        export DOCKER_BUILDKIT=0
    fi
    step "docker build (base ${PYTHON_IMAGE}, network ${BUILD_NETWORK}${ca_from:+, extra CAs from ${ca_from}}) -> ${IMAGE}"
    docker "${args[@]}" .
    docker image ls "${IMAGE}"
}

# --- database ---------------------------------------------------------------
RUN_NET=()
DATABASE_URL=""

use_container_db() {
    NETWORK="${RUN_ID}"
    local name="${RUN_ID}-db"
    step "PostgreSQL: ${PG_IMAGE} container on network ${NETWORK}"
    docker network create "${NETWORK}" >/dev/null
    CONTAINERS+=("${name}")
    docker run -d --name "${name}" --network "${NETWORK}" --network-alias db \
        -e POSTGRES_USER=postgres -e POSTGRES_PASSWORD=postgres -e POSTGRES_DB="${SMOKE_DB_NAME}" \
        "${PG_IMAGE}" >/dev/null
    local i
    for i in $(seq 1 60); do
        # pg_isready on the TCP socket: the image's init phase only listens on the unix one.
        if docker exec "${name}" pg_isready -h 127.0.0.1 -U postgres -d "${SMOKE_DB_NAME}" >/dev/null 2>&1; then
            break
        fi
        ((i < 60)) || { docker logs "${name}" | tail -n 20; die "PostgreSQL did not become ready"; }
        sleep 1
    done
    RUN_NET=(--network "${NETWORK}")
    DATABASE_URL="postgresql://postgres:postgres@db:5432/${SMOKE_DB_NAME}"
}

use_host_db() {
    step "PostgreSQL: host server ${PGUSER}@${PGHOST}:${PGPORT}, database ${SMOKE_DB_NAME}"
    command -v createdb >/dev/null || die "createdb/dropdb (postgresql-client) are needed for SMOKE_DB=host"
    pg_isready -h "${PGHOST}" -p "${PGPORT}" -U "${PGUSER}" || die "no PostgreSQL at ${PGHOST}:${PGPORT}"
    dropdb -h "${PGHOST}" -p "${PGPORT}" -U "${PGUSER}" --if-exists --force "${SMOKE_DB_NAME}"
    createdb -h "${PGHOST}" -p "${PGPORT}" -U "${PGUSER}" "${SMOKE_DB_NAME}"
    HOST_DB=1
    RUN_NET=(--network host)
    DATABASE_URL="postgresql://${PGUSER}@${PGHOST}:${PGPORT}/${SMOKE_DB_NAME}"
}

pg_image_available() {
    docker image inspect "${PG_IMAGE}" >/dev/null 2>&1 && return 0
    step "pulling ${PG_IMAGE} (SMOKE_DB=auto)"
    timeout 120 docker pull "${PG_IMAGE}"
}

# --- steps in the image -----------------------------------------------------
# run_step LABEL CMD...: run CMD in a fresh container of IMAGE, print its output,
# and record PASS/FAIL (later steps still run, so one report shows everything).
STEP_NO=0
run_step() {
    local label="$1"; shift
    local name="${RUN_ID}-$((STEP_NO += 1))"
    CONTAINERS+=("${name}")
    step "${label}: docker run ${IMAGE} $*"
    local rc=0
    # GUILDHALL_MIGRATE_ON_START=0: each step runs exactly the command it names.
    timeout "${STEP_TIMEOUT}" docker run --rm --name "${name}" "${RUN_NET[@]}" \
        -e DATABASE_URL="${DATABASE_URL}" -e GUILDHALL_MIGRATE_ON_START=0 \
        -e DISCORD_TOKEN="${SMOKE_DISCORD_TOKEN}" -e TENANT_CACHE_SIZE="${SMOKE_TENANT_CACHE_SIZE}" \
        "${IMAGE}" "$@" || rc=$?
    if ((rc == 0)); then
        RESULTS+=("PASS  ${label}")
    else
        RESULTS+=("FAIL  ${label} (exit ${rc})")
        FAILED=1
    fi
}

# --- main -------------------------------------------------------------------
if [[ "${SKIP_BUILD}" == "1" ]]; then
    docker image inspect "${IMAGE}" >/dev/null 2>&1 || die "SKIP_BUILD=1 but there is no image ${IMAGE}"
else
    build_image
fi

case "${SMOKE_DB}" in
    container) use_container_db ;;
    host) use_host_db ;;
    auto)
        if pg_image_available; then use_container_db; else use_host_db; fi
        ;;
    *) die "SMOKE_DB must be container, host or auto (got ${SMOKE_DB})" ;;
esac

run_step "db migrate" guildhall db migrate
run_step "db migrate again (no-op)" guildhall db migrate
run_step "doctor" guildhall doctor
run_step "--help" guildhall --help

step "summary (${IMAGE}, ${DATABASE_URL})"
printf '  %s\n' "${RESULTS[@]}"
exit "${FAILED}"

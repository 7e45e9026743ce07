#!/bin/sh
# Container entrypoint for Guildhall.
#
# - A first argument that is an option or a guildhall sub-command rather than a
#   program (`docker run IMAGE doctor`, `docker run IMAGE --help`) is run as
#   `guildhall ARGS...`.
# - Before the bot itself (`guildhall run`, the default CMD) the schema is brought
#   up to date with `guildhall db migrate`, unless GUILDHALL_MIGRATE_ON_START=0.
#   One-off commands (`guildhall --help`, `guildhall doctor`, `guildhall db ...`,
#   `python ...`) are run as given, so they work without a reachable database.
# - The command is exec'd, so it gets the container's signals directly.
# - DATA_DIR and HEALTH_HOST are the container's own: the image's values win over a copied
#   .env (`docker run --env-file .env`), whose DATA_DIR=.data would point the embedded server
#   at a directory the unprivileged user cannot write and whose HEALTH_HOST=127.0.0.1 would
#   hide /healthz from the published port. GUILDHALL_CONTAINER_DATA_DIR and
#   GUILDHALL_CONTAINER_HEALTH_HOST (set in the Dockerfile) are the values used.
set -eu

container_setting() {
    # $1: the setting's name, $2: the container's value
    eval "current=\${$1:-}"
    if [ -n "$current" ] && [ "$current" != "$2" ]; then
        echo "entrypoint: $1=$current ignored in the container; using $2" >&2
    fi
    export "$1=$2"
}
container_setting DATA_DIR "${GUILDHALL_CONTAINER_DATA_DIR:-/data}"
container_setting HEALTH_HOST "${GUILDHALL_CONTAINER_HEALTH_HOST:-0.0.0.0}"

if [ "$#" -eq 0 ]; then
    set -- guildhall run
elif [ "${1#-}" != "$1" ] || ! command -v "$1" >/dev/null 2>&1; then
    set -- guildhall "$@"
fi

if [ "$1" = "guildhall" ] && [ "${2:-}" = "run" ] && [ "${GUILDHALL_MIGRATE_ON_START:-1}" != "0" ]; then
    echo "entrypoint: guildhall db migrate (GUILDHALL_MIGRATE_ON_START=0 skips this)" >&2
    guildhall db migrate
fi

exec "$@"

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
set -eu

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

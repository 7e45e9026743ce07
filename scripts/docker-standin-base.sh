#!/usr/bin/env bash
# Build a local stand-in for the official python:3.11-slim-bookworm image.
#
# Use it where Docker Hub cannot be reached (no base image can be pulled) but the
# Debian mirror can. It is Debian bookworm (minbase) + Debian's python3 (3.11),
# python3-venv, python3-pip and ca-certificates, with python/python3/pip links in
# /usr/local/bin like the official image, imported with `docker import`.
#
#   scripts/docker-standin-base.sh                   # tag guildhall/standin-python:3.11
#   STANDIN_TAG=my/python:3.11 scripts/docker-standin-base.sh
#   PYTHON_IMAGE=guildhall/standin-python:3.11 scripts/docker-smoke.sh
#
# Idempotent: does nothing when the tag already exists (FORCE=1 rebuilds).
# Needs root, debootstrap and a running Docker engine.
set -euo pipefail

TAG="${STANDIN_TAG:-guildhall/standin-python:3.11}"
SUITE="${DEBIAN_SUITE:-bookworm}"
# The mirror apt already uses on this machine, else the public one.
default_mirror() {
    local uri
    uri="$(grep -hsoE '^URIs:[[:space:]]*[^[:space:]]+/debian/?$' /etc/apt/sources.list.d/*.sources \
        | head -n1 | awk '{print $2}')" || true
    if [[ -z "${uri}" ]]; then
        uri="$(grep -hsoE '^deb[[:space:]]+[^[:space:]]+/debian/?[[:space:]]' /etc/apt/sources.list \
            | head -n1 | awk '{print $2}')" || true
    fi
    echo "${uri:-http://deb.debian.org/debian}"
}
MIRROR="${DEBIAN_MIRROR:-$(default_mirror)}"
PACKAGES="python3,python3-venv,python3-pip,ca-certificates"

log() { printf '==> %s\n' "$*" >&2; }

if [[ "${FORCE:-0}" != "1" ]] && docker image inspect "${TAG}" >/dev/null 2>&1; then
    log "image ${TAG} already exists; nothing to do (FORCE=1 to rebuild)"
    exit 0
fi

command -v debootstrap >/dev/null || { log "debootstrap is missing: apt-get install -y debootstrap"; exit 1; }
[[ "$(id -u)" == "0" ]] || { log "debootstrap needs root"; exit 1; }

WORK="$(mktemp -d /tmp/guildhall-standin.XXXXXX)"
cleanup() {
    # debootstrap may leave /proc etc. mounted inside the rootfs after a failure.
    for m in proc sys dev/pts dev; do
        umount -l "${WORK}/rootfs/${m}" 2>/dev/null || true
    done
    rm -rf "${WORK}"
}
trap cleanup EXIT

log "debootstrap ${SUITE} (minbase + ${PACKAGES}) from ${MIRROR}"
debootstrap --variant=minbase --include="${PACKAGES}" "${SUITE}" "${WORK}/rootfs" "${MIRROR}" \
    >"${WORK}/debootstrap.log" 2>&1 || { tail -n 40 "${WORK}/debootstrap.log" >&2; exit 1; }

ROOTFS="${WORK}/rootfs"
log "shaping the rootfs like the official image"
for name in python python3; do
    ln -sf /usr/bin/python3 "${ROOTFS}/usr/local/bin/${name}"
done
ln -sf /usr/bin/python3.11 "${ROOTFS}/usr/local/bin/python3.11"
ln -sf /usr/bin/pip3 "${ROOTFS}/usr/local/bin/pip"
ln -sf /usr/bin/pip3 "${ROOTFS}/usr/local/bin/pip3"
# Point apt inside the image at the same mirror, and drop the package caches.
printf 'deb %s %s main\n' "${MIRROR}" "${SUITE}" >"${ROOTFS}/etc/apt/sources.list"
rm -rf "${ROOTFS}"/var/cache/apt/archives/*.deb "${ROOTFS}"/var/lib/apt/lists/* "${ROOTFS}"/tmp/*

log "docker import -> ${TAG}"
tar -C "${ROOTFS}" -c . | docker import \
    --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PYTHON_VERSION=3.11' \
    --change 'CMD ["python3"]' \
    --message "guildhall stand-in for python:3.11-slim-bookworm (debootstrap ${SUITE})" \
    - "${TAG}" >/dev/null

docker run --rm "${TAG}" python --version
docker image ls "${TAG}"

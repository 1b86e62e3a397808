#!/usr/bin/env bash
# Build an offline base image for the cnn-grader Dockerfile, with no image
# registry: a minimal Debian bookworm made by debootstrap (from Debian's package
# mirror) with python3 + python3-venv, imported with `docker import`.
#
#   sudo docker/make-base-image.sh [--force] [TAG]
#
# TAG defaults to $CNN_GRADER_BASE_IMAGE or cnn-grader-base:bookworm-v2.
# Idempotent: when TAG already exists in the engine it does nothing (unless
# --force), so CI pays the ~1 min debootstrap once per Docker data root.
# Then: docker build --build-arg BASE_IMAGE=TAG ...
# Needs root (debootstrap), the debootstrap package and a running engine.
set -euo pipefail

force=0
if [[ "${1:-}" == "--force" ]]; then force=1; shift; fi
# Bump the -vN suffix whenever the package list below changes.
TAG="${1:-${CNN_GRADER_BASE_IMAGE:-cnn-grader-base:bookworm-v2}}"
SUITE="${DEBIAN_SUITE:-bookworm}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# util-linux (setpriv, the privilege drop the image's entrypoint uses) is
# Essential, so minbase already has it. libseccomp2 (for pyseccomp, the workers' seccomp
# filter) comes with apt anyway; named so that it stays.
PACKAGES="python3,python3-venv,libseccomp2"

if (( ! force )) && docker image inspect "$TAG" >/dev/null 2>&1; then
    echo "make-base-image: $TAG already present"
    exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
    echo "make-base-image: debootstrap needs root" >&2
    exit 1
fi
command -v debootstrap >/dev/null || {
    echo "make-base-image: debootstrap missing (apt-get install debootstrap)" >&2
    exit 1
}

start=$(date +%s)
work=$(mktemp -d /var/tmp/cnn-grader-rootfs.XXXXXX)
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"

echo "make-base-image: debootstrap $SUITE ($PACKAGES) from $MIRROR"
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$rootfs" "$MIRROR" \
    > "$work/debootstrap.log" 2>&1 || {
    tail -n 30 "$work/debootstrap.log" >&2
    # debootstrap leaves its own log inside the rootfs
    tail -n 30 "$rootfs/debootstrap/debootstrap.log" 2>/dev/null >&2 || true
    exit 1
}

# Slim it down: package caches, lists, docs, man pages, locales.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin \
       "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/* \
       "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* \
       "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/* \
       "$rootfs"/tmp/* "$rootfs"/var/tmp/*
# A normal apt source, so `apt-get update` works in the image where a mirror can be reached.
echo "deb $MIRROR $SUITE main" > "$rootfs/etc/apt/sources.list"

tar --numeric-owner -C "$rootfs" -c . | docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENV LANG=C.UTF-8' \
    -c 'CMD ["/bin/bash"]' \
    -m "debootstrap --variant=minbase --include=$PACKAGES $SUITE" \
    - "$TAG" >/dev/null
echo "make-base-image: built $TAG in $(( $(date +%s) - start )) s" \
     "($(docker image inspect -f '{{.Size}}' "$TAG" | awk '{printf "%.0f MB", $1/1e6}'))"

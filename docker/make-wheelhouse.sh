#!/usr/bin/env bash
# Fill wheelhouse/ (at the repository root, git-ignored) with every wheel the
# image needs, so that `docker build` installs with `pip --no-index` and needs
# no network at all (the Dockerfile switches to --no-index by itself when
# wheelhouse/ holds wheels).
#
#   docker/make-wheelhouse.sh [DIR]          # default: <repo>/wheelhouse
#
# Runs on the host with its pip (and pip's own config: index, find-links,
# proxies). Downloads wheels only, for CPython $PY_VERSION on x86_64 Linux
# (the interpreter of the image), whatever Python the host has. torch comes as
# the CPU build (2.x.y+cpu): from pip's usual sources when they have it, else
# from $TORCH_INDEX_URL (PyTorch's CPU index). Idempotent: files already in DIR
# are not downloaded again.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
dest="${1:-$here/wheelhouse}"
PY_VERSION="${PY_VERSION:-3.11}"
TORCH_INDEX_URL="${TORCH_INDEX_URL:-https://download.pytorch.org/whl/cpu}"
PIP="${PIP:-python3 -m pip}"
mkdir -p "$dest"
# pip warns about each unusable find-links/index location of the host's own pip
# config; keep the output readable.
quiet() { "$@" 2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2); }

# Runtime pins from pyproject.toml (the dask extra included: the image can be a
# Dask worker), plus what building the editable install needs (setuptools per
# [build-system], wheel for older setuptools); the versions of their own
# dependencies come from constraints.txt, as in the Dockerfile.
mapfile -t reqs < <(python3 - "$here/pyproject.toml" <<'PY'
import sys, tomllib
data = tomllib.load(open(sys.argv[1], "rb"))
for r in (data["project"]["dependencies"] + data["project"]["optional-dependencies"]["dask"]
          + data["build-system"]["requires"]):
    name, _, marker = r.partition(";")  # the image is Linux, whatever the host is
    print(name.strip() if marker.strip() == 'sys_platform == "linux"' else r)
print("wheel")
PY
)
torch_pin=""
others=()
for r in "${reqs[@]}"; do
    if [[ "$r" =~ ^torch[[:space:]]*==[[:space:]]*([0-9][0-9.]*)$ ]]; then
        torch_pin="${BASH_REMATCH[1]}"
    else
        others+=("$r")
    fi
done
[[ -n "$torch_pin" ]] || { echo "make-wheelhouse: no torch==X pin in pyproject.toml" >&2; exit 1; }

abi="cp${PY_VERSION/./}"
target=(--only-binary=:all: --implementation cp --python-version "$PY_VERSION" --abi "$abi"
        --abi abi3 --abi none
        --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64
        --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64
        --platform linux_x86_64 --platform any)

# 1. The CPU torch wheel, alone, so that step 2 resolves against it and never
#    picks a CUDA build (whose nvidia-* dependencies weigh several GB).
if ! ls "$dest"/torch-"$torch_pin"+cpu-*.whl >/dev/null 2>&1; then
    echo "make-wheelhouse: torch==$torch_pin+cpu"
    quiet $PIP download -q --no-deps -d "$dest" "${target[@]}" "torch==$torch_pin+cpu" 2>/dev/null ||
    quiet $PIP download -q --no-deps -d "$dest" "${target[@]}" \
        --extra-index-url "$TORCH_INDEX_URL" "torch==$torch_pin+cpu"
fi

# 2. Everything else, resolved with the CPU torch in place.
echo "make-wheelhouse: ${reqs[*]}"
quiet $PIP download -q -d "$dest" --find-links "$dest" "${target[@]}" -c "$here/constraints.txt" \
    "torch==$torch_pin+cpu" "${others[@]}"

if ls "$dest" | grep -Eiq '^(nvidia|triton|cuda)'; then
    echo "make-wheelhouse: CUDA wheels found in $dest; remove them" >&2
    ls "$dest" | grep -Ei '^(nvidia|triton|cuda)' >&2
    exit 1
fi
echo "make-wheelhouse: $(ls "$dest"/*.whl | wc -l) wheels, $(du -sh "$dest" | cut -f1) in $dest"

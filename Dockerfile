# cnn-grader: the judge in a container. See docs/docker.md.
#
#   docker build -t cnn-grader .                                  # python:3.11-slim from a registry
#   docker/make-wheelhouse.sh && docker/make-base-image.sh &&     # offline: no registry, no index
#     docker build --build-arg BASE_IMAGE=cnn-grader-base:bookworm-v2 -t cnn-grader .
#
# Works with the classic builder and with BuildKit (no `# syntax` line: BuildKit would pull it).
# The base needs `python3` with the venv module (python:3.11-slim: /usr/local/bin/python3;
# the debootstrap base: Debian's python3 + python3-venv) and util-linux's setpriv (Essential
# in Debian). Nothing is compiled: wheels only, so no build tools enter any stage.

ARG BASE_IMAGE=python:3.11-slim

# ---- deps: a venv at /opt/venv with the pinned dependencies, CPU torch ------------------
FROM ${BASE_IMAGE} AS deps
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore \
    PYTHONDONTWRITEBYTECODE=1
RUN python3 -m venv /opt/venv
# `wheelhouse*` matches nothing when there is no wheelhouse/ in the context, and
# pyproject.toml keeps the COPY from having no source at all. A wheelhouse (made by
# docker/make-wheelhouse.sh) lands in /wheelhouse/ and switches pip to --no-index.
# This layer and the next depend on pyproject.toml and the wheels only, not on the sources.
# The RUN then drops, to keep the image lean, torch's C++ headers (for building extensions;
# there is no compiler anyway), its C++ unit-test binaries and protoc: ~200 MB.
# torch_shm_manager stays (tensor sharing between processes).
# The dask extra is in the image, so that it can also run as a Dask worker (docs/scale-out.md);
# its dependencies, like everything else's, are the versions constraints.txt pins.
COPY pyproject.toml constraints.txt wheelhouse* /wheelhouse/
RUN set -eu; \
    /opt/venv/bin/python -c 'import sys, tomllib; d = tomllib.load(open(sys.argv[1], "rb")); \
print("\n".join(d["project"]["dependencies"] + d["project"]["optional-dependencies"]["dask"] + d["build-system"]["requires"]))' \
        /wheelhouse/pyproject.toml \
      | sed -E 's/^torch *== *([0-9.]+)$/torch==\1+cpu/' > /tmp/requirements.txt; \
    if ls /wheelhouse/*.whl >/dev/null 2>&1; then \
        echo "pip: offline, from the wheelhouse"; set -- --no-index --find-links /wheelhouse; \
    else \
        echo "pip: online, torch from $TORCH_INDEX_URL"; set -- --extra-index-url "$TORCH_INDEX_URL"; \
    fi; \
    /opt/venv/bin/pip install --only-binary=:all: "$@" -c /wheelhouse/constraints.txt -r /tmp/requirements.txt; \
    /opt/venv/bin/python -c 'import torch; assert torch.version.cuda is None, torch.version.cuda; print("torch", torch.__version__)'; \
    rm -rf /tmp/requirements.txt /root/.cache; \
    torch_dir=$(/opt/venv/bin/python -c 'import os, torch; print(os.path.dirname(torch.__file__))'); \
    rm -rf "$torch_dir/include" "$torch_dir/test"; \
    find "$torch_dir/bin" -type f ! -name torch_shm_manager -delete; \
    /opt/venv/bin/python -c 'import torch; torch.nn.Conv2d(1, 2, 3)(torch.ones(1, 1, 5, 5)).sum().item()' 

# ---- final image ---------------------------------------------------------------------------
FROM ${BASE_IMAGE}
ARG JUDGE_UID=10001
ARG STUDENT_UID=10002
# Per-slot worker users student0..student<N-1> (uids and gids WORKER_UID_BASE + slot): one for
# each judge that `cnn-grader batch --jobs N` runs at once (CNN_GRADER_SLOT), so that workers
# running side by side are different users. Slots past the last one fall back to `student`.
ARG WORKER_SLOTS=16
ARG WORKER_UID_BASE=10100
ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 LANG=C.UTF-8 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore
# judge: runs cnn-grader, alone may read /opt/cnn-grader. student (single `grade` runs, and
# slots past the last studentN) and student0..studentN-1 (batch slots): run the workers, each
# with a primary group of its own name. The judge is a member of all the workers' groups, so
# it may hand each worker's /tmp folder to that worker's group alone (sandbox.private_root,
# mode 0750); the workers are members of nothing else.
# No setuid/setgid programs are left (su, mount, passwd...): nothing here needs one.
RUN set -eu; \
    case "$WORKER_SLOTS" in ''|*[!0-9]*) echo "WORKER_SLOTS must be a number" >&2; exit 1;; esac; \
    groupadd -g "$JUDGE_UID" judge; \
    useradd -u "$JUDGE_UID" -g judge -M -d /nonexistent -s /usr/sbin/nologin judge; \
    groupadd -g "$STUDENT_UID" student; \
    useradd -u "$STUDENT_UID" -g student -M -d /nonexistent -s /usr/sbin/nologin student; \
    worker_groups=student; slot=0; \
    while [ "$slot" -lt "$WORKER_SLOTS" ]; do \
        n=$((WORKER_UID_BASE + slot)); \
        groupadd -g "$n" "student$slot"; \
        useradd -u "$n" -g "student$slot" -M -d /nonexistent -s /usr/sbin/nologin "student$slot"; \
        worker_groups="$worker_groups,student$slot"; slot=$((slot + 1)); \
    done; \
    usermod -a -G "$worker_groups" judge; \
    echo "judge: $(id judge)"; \
    mkdir -p /out /submissions; chown judge:judge /out; chmod 0755 /out; \
    find / -xdev -perm /6000 -type f -exec chmod a-s {} +
COPY --from=deps /opt/venv /opt/venv
# The project, explicitly (docs, tests, examples and the wheelhouse stay out).
COPY pyproject.toml README* /opt/cnn-grader/
COPY grader /opt/cnn-grader/grader
COPY cnnlab /opt/cnn-grader/cnnlab
COPY exercises /opt/cnn-grader/exercises
COPY solutions /opt/cnn-grader/solutions
COPY docker/entrypoint.sh /usr/local/bin/cnn-grader-entrypoint
# Editable install: the hidden suites and the solutions stay in /opt/cnn-grader and never go
# to site-packages, which the workers must read. Then /opt/cnn-grader becomes root:judge,
# 0750/0640: the judge (group judge) reads it, nobody writes it, no worker user (student,
# studentN: not members of group judge) can even list it.
# Staff-only parts (grader/course/exN: hidden suites, probes, bug zoos) and solutions stay
# 0640. The worker kit's sources (grader/sandboxed, cnnlab) are world-readable inside that tree
# (the course's probes are read by the judge alone, which copies them into each kit):
# the judge copies them, modes included, into each worker's directory for the worker to run;
# they are not secret, and the workers still can't reach them under /opt/cnn-grader.
RUN set -eu; \
    /opt/venv/bin/pip install --no-deps --no-index --no-build-isolation -e /opt/cnn-grader; \
    rm -rf /opt/cnn-grader/build; \
    /opt/venv/bin/python -c 'from grader import seccomp; seccomp.filter_bytes()'; \
    find /opt/cnn-grader -name __pycache__ -prune -exec rm -rf {} +; \
    chown -R root:judge /opt/cnn-grader; \
    find /opt/cnn-grader -type d -exec chmod 0750 {} +; \
    find /opt/cnn-grader -type f -exec chmod 0640 {} +; \
    chmod -R o+rX /opt/cnn-grader/grader/sandboxed /opt/cnn-grader/cnnlab; \
    chmod 0755 /usr/local/bin/cnn-grader-entrypoint; \
    command -v setpriv >/dev/null
WORKDIR /tmp
ENTRYPOINT ["/usr/local/bin/cnn-grader-entrypoint"]
CMD ["--help"]

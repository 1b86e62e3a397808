#!/bin/sh
# Entrypoint of the cnn-grader image: `docker run IMAGE ARGS...` runs `cnn-grader ARGS...`.
#
# It starts as root only to set up the users and never runs grading code as root:
#   * the judge (`cnn-grader`) runs as the non-root user `judge` (group `judge`, which alone
#     may read /opt/cnn-grader: hidden suites, solutions), with exactly three capabilities
#     kept as ambient capabilities: SETUID and SETGID, to start each worker as a worker user
#     (setpriv, no setuid binary, no sudo), and KILL, to kill a worker's whole process group
#     on a time-out although it belongs to another user. no_new_privs is set, so no setuid
#     binary in the image can give anything back. The judge keeps all of `judge`'s
#     supplementary groups (`id -G judge`): the image makes it a member of every worker
#     user's group, so that it may give each worker's /tmp folder to that worker's group
#     alone (grader/sandbox.py private_root, mode 0750) without CAP_CHOWN.
#   * workers run as a worker user with no capabilities, no supplementary groups and
#     no_new_privs (CNN_GRADER_WORKER_USER=student tells grader/sandbox.py to do so): in a
#     batch, `studentN` for the judge in slot N (CNN_GRADER_SLOT, set by `cnn-grader batch`),
#     so parallel workers are different users; `student` otherwise (single runs, and slots
#     past the last studentN the image has).
#   * /out: when it is owned by root (as when `docker run -v` creates it), it is handed to
#     `judge`; when it is owned by some other user (a directory the host user made), the judge
#     runs under that uid, still with group `judge` and the same supplementary groups, so
#     results belong to the host user. An /out owned by a worker uid is refused. Write access
#     for group/others is taken away, so no worker can write there.
#   * /submissions, when it is mounted and any user may enter it, gets a warning: workers
#     could then read the other submissions (make it the /out owner's alone).
# This shell stays as PID 1: it reaps orphans and passes SIGTERM/SIGINT on to the judge.
#
# `docker run IMAGE --as-judge CMD ARGS...` runs CMD instead of cnn-grader, as the judge with
# the same users, capabilities and environment (for checks and debugging; tests/test_docker.py).
set -eu

JUDGE=judge
STUDENT=student
OUT=${CNN_GRADER_OUT_DIR:-/out}
CAPS=setuid,setgid,kill

say() { echo "cnn-grader-entrypoint: $*" >&2; }

command=cnn-grader
if [ "${1:-}" = --as-judge ]; then
    shift
    [ $# -gt 0 ] || { say "--as-judge needs a command"; exit 2; }
    command=$1
    shift
fi

if [ "$(id -u)" != 0 ]; then
    # Started with --user: we can't switch users, so there is no second user for the workers.
    if [ "${CNN_GRADER_ALLOW_SINGLE_USER:-}" = 1 ]; then
        say "not started as root: judge and workers both run as uid $(id -u) (weaker isolation)"
        exec "$command" "$@"
    fi
    say "the image must start as root (it drops to the users '$JUDGE' and '$STUDENT' itself);"
    say "don't pass --user, or set CNN_GRADER_ALLOW_SINGLE_USER=1 to run without a separate worker user"
    exit 2
fi

judge_gid=$(id -g "$JUDGE")
judge_uid=$(id -u "$JUDGE")
# The judge's primary group first, then the worker users' groups (see the Dockerfile).
judge_groups=$(id -G "$JUDGE" | tr ' ' ',')

# Worker users: `student` and the per-slot `student0`, `student1`... of the image.
worker_uids=
while IFS=: read -r name _pw uid _rest; do
    case $name in
        "$STUDENT") worker_uids="$worker_uids $uid" ;;
        "$STUDENT"[0-9]*)
            case ${name#"$STUDENT"} in
                *[!0-9]*) ;;
                *) worker_uids="$worker_uids $uid" ;;
            esac ;;
    esac
done </etc/passwd

if [ -d "$OUT" ]; then
    owner=$(stat -c %u "$OUT")
    if [ "$owner" = 0 ]; then
        chown "$judge_uid:$judge_gid" "$OUT" 2>/dev/null || say "warning: can't chown $OUT to $JUDGE"
    else
        case " $worker_uids " in
            *" $owner "*)
                say "$OUT belongs to uid $owner, which is a worker user ($(id -nu "$owner" 2>/dev/null || echo "$STUDENT")) here: use another directory"
                exit 2 ;;
        esac
        judge_uid=$owner
    fi
    # Nobody but the judge writes there: drop write access for group and others.
    if [ -n "$(find "$OUT" -maxdepth 0 -perm /022)" ]; then
        chmod go-w "$OUT" 2>/dev/null || say "warning: $OUT is writable by others and can't be changed"
    fi
fi

# Submissions any user may enter can be read by every worker (not only its own): say so.
if [ -d /submissions ] && [ -n "$(ls -A /submissions 2>/dev/null)" ] \
        && [ -n "$(find /submissions -maxdepth 0 -perm -001)" ]; then
    say "warning: any user may enter /submissions, so a worker may read other submissions there;"
    say "make it accessible to the owner of $OUT only (chmod -R go-rwx), see docs/docker.md"
fi

export CNN_GRADER_WORKER_USER="$STUDENT"
export CNN_GRADER_IN_DOCKER=1  # grader/batch.py check_access: its fix names the host-side chgrp
export HOME=/tmp USER="$JUDGE" LOGNAME="$JUDGE"

setpriv --reuid="$judge_uid" --regid="$judge_gid" --groups="$judge_groups" \
    --inh-caps="-all,+$(echo "$CAPS" | sed 's/,/,+/g')" \
    --ambient-caps="-all,+$(echo "$CAPS" | sed 's/,/,+/g')" \
    --bounding-set="-all,+$(echo "$CAPS" | sed 's/,/,+/g')" \
    --no-new-privs \
    -- "$command" "$@" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null || true' INT TERM HUP
while :; do
    rc=0
    wait "$child" || rc=$?
    kill -0 "$child" 2>/dev/null || break
done
exit "$rc"

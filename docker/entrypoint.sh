#!/bin/sh
# Entrypoint of the cnn-grader image: `docker run IMAGE ARGS...` runs `cnn-grader ARGS...`.
#
# It starts as root only to set up the two users and never runs grading code as root:
#   * the judge (`cnn-grader`) runs as the non-root user `judge` (group `judge`, which alone
#     may read /opt/cnn-grader: hidden suites, solutions), with exactly three capabilities
#     kept as ambient capabilities: SETUID and SETGID, to start each worker as the user
#     `student` (setpriv, no setuid binary, no sudo), and KILL, to kill a worker's whole
#     process group on a time-out although it belongs to another user. no_new_privs is set,
#     so no setuid binary in the image can give anything back.
#   * workers run as `student` with no capabilities and no_new_privs
#     (CNN_GRADER_WORKER_USER=student tells grader/sandbox.py to do so).
#   * /out: when it is owned by root (as when `docker run -v` creates it), it is handed to
#     `judge`; when it is owned by some other user (a directory the host user made), the judge
#     runs under that uid, still with group `judge`, so results belong to the host user.
#     Write access for group/others is taken away, so `student` can't write there.
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
student_uid=$(id -u "$STUDENT")

if [ -d "$OUT" ]; then
    owner=$(stat -c %u "$OUT")
    if [ "$owner" = 0 ]; then
        chown "$judge_uid:$judge_gid" "$OUT" 2>/dev/null || say "warning: can't chown $OUT to $JUDGE"
    elif [ "$owner" = "$student_uid" ]; then
        say "$OUT belongs to uid $owner, which is the worker user '$STUDENT' here: use another directory"
        exit 2
    else
        judge_uid=$owner
    fi
    # Nobody but the judge writes there: drop write access for group and others.
    if [ -n "$(find "$OUT" -maxdepth 0 -perm /022)" ]; then
        chmod go-w "$OUT" 2>/dev/null || say "warning: $OUT is writable by others and can't be changed"
    fi
fi

export CNN_GRADER_WORKER_USER="$STUDENT"
export HOME=/tmp USER="$JUDGE" LOGNAME="$JUDGE"

setpriv --reuid="$judge_uid" --regid="$judge_gid" --groups="$judge_gid" \
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

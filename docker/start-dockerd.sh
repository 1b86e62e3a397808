#!/usr/bin/env bash
# Make sure a Docker engine answers on the default socket; start one if none does.
#
#   sudo docker/start-dockerd.sh
#
# Exit 0 when `docker info` works (an engine that was already running is used as it is).
# Otherwise, as root, starts `dockerd --data-root $CNN_GRADER_DOCKER_ROOT` (default
# /var/lib/docker-cnn, so images and build cache survive between runs) in the background,
# logging to /var/log/cnn-grader-dockerd.log, and waits up to 60 s for it. The engine is
# left running. Exit 3 with the reason on stderr when no engine can be had (not root, no
# dockerd: `apt-get install docker.io`, or it did not come up).
set -uo pipefail

DATA_ROOT="${CNN_GRADER_DOCKER_ROOT:-/var/lib/docker-cnn}"
LOG=/var/log/cnn-grader-dockerd.log

if ! command -v docker >/dev/null; then
    echo "start-dockerd: no docker client (apt-get install docker.io)" >&2
    exit 3
fi
docker info >/dev/null 2>&1 && exit 0

if ! command -v dockerd >/dev/null; then
    echo "start-dockerd: no engine is running and dockerd is not installed (apt-get install docker.io)" >&2
    exit 3
fi
if [[ $(id -u) -ne 0 ]]; then
    echo "start-dockerd: no engine is running, and starting dockerd needs root" >&2
    exit 3
fi
# A stale pid file from a killed engine stops dockerd from starting.
if [[ -f /var/run/docker.pid ]] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
    rm -f /var/run/docker.pid
fi
mkdir -p "$DATA_ROOT"
echo "start-dockerd: starting dockerd --data-root $DATA_ROOT (log: $LOG)" >&2
setsid nohup dockerd --data-root "$DATA_ROOT" >>"$LOG" 2>&1 </dev/null &
pid=$!
for _ in $(seq 120); do
    if docker info >/dev/null 2>&1; then
        echo "start-dockerd: engine ready (pid $pid)" >&2
        exit 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "start-dockerd: dockerd exited; last lines of $LOG:" >&2
        tail -n 15 "$LOG" >&2
        exit 3
    fi
    sleep 0.5
done
echo "start-dockerd: dockerd did not answer within 60 s; last lines of $LOG:" >&2
tail -n 15 "$LOG" >&2
exit 3

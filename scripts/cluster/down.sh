#!/usr/bin/env bash
# `npm run cluster:down`: stops every process of the reference cluster (scripts/cluster/up.sh) by its recorded pid
# and removes RXLEDGER_CLUSTER_DIR (default /tmp/rxledger-cluster).
set -uo pipefail
source "$(dirname "$0")/lib.sh"

if [ ! -d "$CLUSTER_DIR" ]; then
  say "no cluster in $CLUSTER_DIR"
  exit 0
fi
# Apps first (so they do not log an outage), then HAProxy, the Patroni nodes (each stops its PostgreSQL), etcd last.
stop() {
  local name=$1 pid
  pid="$(running_pid "$name")" || return 0
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 150); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  say "$name (pid $pid) did not stop in 15 s: SIGKILL"
  kill -KILL "$pid" 2>/dev/null
}
for file in "$CLUSTER_DIR"/pids/app*.pid; do [ -e "$file" ] && stop "$(basename "$file" .pid)"; done
stop haproxy
for file in "$CLUSTER_DIR"/pids/pg*.pid; do [ -e "$file" ] && stop "$(basename "$file" .pid)" & done
wait
# A PostgreSQL whose Patroni was killed (the failover test does that) outlives it: stop it by its own pid file.
for pidfile in "$CLUSTER_DIR"/pg*/data/postmaster.pid; do
  [ -f "$pidfile" ] || continue
  pid="$(head -n 1 "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -INT "$pid" 2>/dev/null
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
  fi
done
stop etcd
rm -rf "$CLUSTER_DIR"
say "stopped and removed $CLUSTER_DIR"

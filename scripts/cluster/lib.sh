# Shared by up.sh, down.sh and the failover test: where the reference cluster lives and how to run as its owner.
CLUSTER_DIR="${RXLEDGER_CLUSTER_DIR:-/tmp/rxledger-cluster}"
PG_BIN_DIR="${PG_BIN_DIR:-/usr/lib/postgresql/15/bin}"
REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# The build the cluster runs (default: the repository's dist/).
DIST_DIR="${RXLEDGER_DIST:-$REPO_DIR/dist}"

say() { echo "cluster: $*"; }
die() {
  echo "cluster: $*" >&2
  exit 1
}

# The pid recorded for NAME, when that process still runs.
running_pid() {
  local file="$CLUSTER_DIR/pids/$1.pid" pid
  [ -f "$file" ] || return 1
  pid="$(cat "$file")"
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# Starts Patroni node N (pgN) in the background with the configuration up.sh wrote; its log is appended to, so a
# node the failover test restarts keeps its history.
start_node() {
  local name="pg$1"
  # PostgreSQL refuses to run as root: as root, the node (Patroni and its PostgreSQL) runs as the `postgres` user.
  # setpriv execs Patroni itself (runuser would stay in between, and kill Patroni 2 s after forwarding a SIGTERM).
  if [ "$(id -u)" = 0 ]; then
    HOME="$CLUSTER_DIR/$name" setsid setpriv --reuid=postgres --regid=postgres --init-groups -- \
      patroni "$CLUSTER_DIR/$name/patroni.yml" >>"$CLUSTER_DIR/logs/$name.log" 2>&1 </dev/null &
  else
    setsid patroni "$CLUSTER_DIR/$name/patroni.yml" >>"$CLUSTER_DIR/logs/$name.log" 2>&1 </dev/null &
  fi
  echo $! >"$CLUSTER_DIR/pids/$name.pid"
}

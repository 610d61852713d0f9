# Shared by up.sh, down.sh and the failover test: where the reference cluster lives and how to run as its owner.
CLUSTER_DIR="${RXLEDGER_CLUSTER_DIR:-/tmp/rxledger-cluster}"
PG_BIN_DIR="${PG_BIN_DIR:-/usr/lib/postgresql/15/bin}"
REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

say() { echo "cluster: $*"; }
die() {
  echo "cluster: $*" >&2
  exit 1
}

# PostgreSQL refuses to run as root: as root, the nodes (Patroni and its PostgreSQL) run as the `postgres` user.
if [ "$(id -u)" = 0 ]; then
  PG_USER=postgres
  as_pg() { runuser -u postgres -- "$@"; }
else
  PG_USER="$(id -un)"
  as_pg() { "$@"; }
fi

# The pid recorded for NAME, when that process still runs.
running_pid() {
  local file="$CLUSTER_DIR/pids/$1.pid" pid
  [ -f "$file" ] || return 1
  pid="$(cat "$file")"
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

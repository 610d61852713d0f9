#!/usr/bin/env bash
# `npm run cluster`: the reference high-availability cluster on one machine (docs/OPERATIONS.md §11).
#   3 PostgreSQL 15 nodes under Patroni (synchronous mode), 1 etcd, HAProxy (read-write port routed by Patroni's
#   /primary check, read-only port by /replica), and RXLEDGER_CLUSTER_APPS RxLedger processes (node dist/src/main.js)
#   whose DATABASE_URL is HAProxy's read-write port. Everything lives in RXLEDGER_CLUSTER_DIR (default
#   /tmp/rxledger-cluster); `npm run cluster:down` stops it and removes that folder.
# Settings (environment): RXLEDGER_CLUSTER_DIR, RXLEDGER_CLUSTER_APPS (default 2), RXLEDGER_CLUSTER_STRICT (Patroni's
#   synchronous_mode_strict, default false), RXLEDGER_CLUSTER_SYNCHRONOUS_STANDBY (the apps' SYNCHRONOUS_STANDBY,
#   default warn), RXLEDGER_DIST (the build to run, default dist/), CHECKPOINT_INTERVAL_MS and LOG_LEVEL passed on
#   to the apps.
# Writes $RXLEDGER_CLUSTER_DIR/cluster.env (ports, URLs, DATABASE_URL, READ_DATABASE_URL, OPERATOR_TOKEN, …) for
# scripts and benchmarks to source.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

APPS="${RXLEDGER_CLUSTER_APPS:-2}"
STRICT="${RXLEDGER_CLUSTER_STRICT:-false}"
SYNC_STANDBY="${RXLEDGER_CLUSTER_SYNCHRONOUS_STANDBY:-warn}"
NODES=3

# 1. What it needs: Debian's packages, and a build of the app.
missing=()
command -v patroni >/dev/null 2>&1 || missing+=(patroni)
command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
[ -x "$PG_BIN_DIR/postgres" ] || missing+=(postgresql-15)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  # (Where the packages start their own services, those use the default ports; the cluster picks others.)
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
HAPROXY="$(command -v haproxy || echo /usr/sbin/haproxy)"
cd "$REPO_DIR"
if [ ! -f "$DIST_DIR/src/main.js" ]; then
  say "building the app (npx nest build)"
  npx nest build
fi

if [ -e "$CLUSTER_DIR" ]; then
  die "$CLUSTER_DIR exists: a cluster is running or was left behind; run \`npm run cluster:down\` first"
fi
mkdir -p "$CLUSTER_DIR"/{logs,pids}
chmod 755 "$CLUSTER_DIR"
failed() {
  echo "cluster: start-up failed; logs in $CLUSTER_DIR/logs (last lines below); \`npm run cluster:down\` cleans up" >&2
  for log in "$CLUSTER_DIR"/logs/*.log; do
    echo "--- $log" >&2
    tail -n 15 "$log" >&2
  done
}
trap failed ERR

# 2. Ports: free now on localhost, below the kernel's ephemeral range (src/database/free-port.ts).
read -r -a PORTS <<<"$(node -e '
  const { freePort } = require(process.argv[2] + "/src/database/free-port.js");
  (async () => { const s = new Set(); while (s.size < Number(process.argv[1])) s.add(await freePort()); console.log([...s].join(" ")); })();
' $((2 + 2 * NODES + 3 + APPS)) "$DIST_DIR")"
ETCD_PORT=${PORTS[0]}
ETCD_PEER_PORT=${PORTS[1]}
PG_PORTS=("${PORTS[@]:2:NODES}")
API_PORTS=("${PORTS[@]:$((2 + NODES)):NODES}")
RW_PORT=${PORTS[$((2 + 2 * NODES))]}
RO_PORT=${PORTS[$((3 + 2 * NODES))]}
STATS_PORT=${PORTS[$((4 + 2 * NODES))]}
APP_PORTS=("${PORTS[@]:$((5 + 2 * NODES)):APPS}")

secret() { node -e 'console.log(require("crypto").randomBytes(18).toString("base64url"))'; }
SUPERUSER_PASSWORD="$(secret)"
REPLICATION_PASSWORD="$(secret)"
APP_PASSWORD="$(secret)"

# 3. etcd (one member: the reference cluster's consensus store; production runs three, OPERATIONS.md §11).
say "starting etcd on 127.0.0.1:$ETCD_PORT"
setsid etcd --name etcd1 --data-dir "$CLUSTER_DIR/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "etcd1=http://127.0.0.1:$ETCD_PEER_PORT" --initial-cluster-state new \
  >"$CLUSTER_DIR/logs/etcd.log" 2>&1 </dev/null &
echo $! >"$CLUSTER_DIR/pids/etcd.pid"
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$ETCD_PORT/health" >/dev/null && break
  sleep 0.2
done
curl -sf "http://127.0.0.1:$ETCD_PORT/health" >/dev/null || die "etcd did not start (logs/etcd.log)"

# 4. Three Patroni nodes. The first to start bootstraps (initdb) and becomes primary; the others clone it with
#    pg_basebackup and stream from it.
fill() {
  sed -e "s|@NAME@|$1|g" -e "s|@HOST@|127.0.0.1|g" -e "s|@API_PORT@|$2|g" -e "s|@PG_PORT@|$3|g" \
    -e "s|@ETCD_HOSTS@|127.0.0.1:$ETCD_PORT|g" -e "s|@STRICT@|$STRICT|g" -e "s|@CIDR@|127.0.0.1/32|g" \
    -e "s|@DATA_DIR@|$4/data|g" -e "s|@NODE_DIR@|$4|g" -e "s|@BIN_DIR@|$PG_BIN_DIR|g" \
    -e "s|@SUPERUSER_PASSWORD@|$SUPERUSER_PASSWORD|g" -e "s|@REPLICATION_PASSWORD@|$REPLICATION_PASSWORD|g" \
    -e "s|@WATCHDOG@|off|g" "$REPO_DIR/scripts/cluster/patroni.yml.in"
}
for i in $(seq "$NODES"); do
  dir="$CLUSTER_DIR/pg$i"
  mkdir -p "$dir"
  fill "pg$i" "${API_PORTS[$((i - 1))]}" "${PG_PORTS[$((i - 1))]}" "$dir" >"$dir/patroni.yml"
  chmod 700 "$dir"
  chmod 600 "$dir/patroni.yml"
  [ "$(id -u)" = 0 ] && chown -R postgres: "$dir"
done
say "starting Patroni node pg1 (PostgreSQL on 127.0.0.1:${PG_PORTS[0]}, REST API on :${API_PORTS[0]})"
start_node 1
for _ in $(seq 300); do
  curl -sf "http://127.0.0.1:${API_PORTS[0]}/primary" >/dev/null && break
  sleep 0.2
done
curl -sf "http://127.0.0.1:${API_PORTS[0]}/primary" >/dev/null || die "pg1 did not become primary (logs/pg1.log)"
for i in $(seq 2 "$NODES"); do
  say "starting Patroni node pg$i (PostgreSQL on 127.0.0.1:${PG_PORTS[$((i - 1))]}, REST API on :${API_PORTS[$((i - 1))]})"
  start_node "$i"
done

# 5. HAProxy.
servers() {
  for i in $(seq "$NODES"); do
    echo "    server pg$i 127.0.0.1:${PG_PORTS[$((i - 1))]} maxconn 300 check port ${API_PORTS[$((i - 1))]}"
  done
}
{
  while IFS= read -r line; do
    case "$line" in
      @PRIMARY_SERVERS@ | @REPLICA_SERVERS@) servers ;;
      *) echo "$line" ;;
    esac
  done <"$REPO_DIR/scripts/cluster/haproxy.cfg"
} | sed -e "s|@BIND@|127.0.0.1|g" -e "s|@RW_PORT@|$RW_PORT|g" -e "s|@RO_PORT@|$RO_PORT|g" \
  -e "s|@STATS_PORT@|$STATS_PORT|g" >"$CLUSTER_DIR/haproxy.cfg"
"$HAPROXY" -c -q -f "$CLUSTER_DIR/haproxy.cfg"
say "starting HAProxy: read-write 127.0.0.1:$RW_PORT, read-only 127.0.0.1:$RO_PORT, stats http://127.0.0.1:$STATS_PORT/"
setsid "$HAPROXY" -db -f "$CLUSTER_DIR/haproxy.cfg" >"$CLUSTER_DIR/logs/haproxy.log" 2>&1 </dev/null &
echo $! >"$CLUSTER_DIR/pids/haproxy.pid"

# 6. Wait for a synchronous standby and for both standbys to stream.
say "waiting for the standbys to clone the primary and stream from it (synchronous mode)"
standbys_ready() {
  local sync=0 replicas=0
  for port in "${API_PORTS[@]}"; do
    curl -sf "http://127.0.0.1:$port/sync" >/dev/null && sync=$((sync + 1))
    curl -sf "http://127.0.0.1:$port/replica" >/dev/null && replicas=$((replicas + 1))
  done
  [ "$sync" -ge 1 ] && [ "$replicas" -ge $((NODES - 1)) ]
}
for _ in $(seq 600); do
  standbys_ready && break
  sleep 0.2
done
standbys_ready || die "the standbys did not start streaming (logs/pg2.log, logs/pg3.log)"

# 7. The app's role and database, created through HAProxy's read-write port.
export PGPASSWORD="$SUPERUSER_PASSWORD"
for _ in $(seq 100); do
  psql -qAt -h 127.0.0.1 -p "$RW_PORT" -U postgres -d postgres -c 'SELECT 1' >/dev/null 2>&1 && break
  sleep 0.2
done
psql -qAt -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$RW_PORT" -U postgres -d postgres >/dev/null <<SQL
CREATE ROLE rxledger LOGIN PASSWORD '$APP_PASSWORD';
-- /v1/health reads pg_stat_replication's sync_state (hidden from roles without pg_monitor).
GRANT pg_monitor TO rxledger;
CREATE DATABASE rxledger OWNER rxledger;
SQL
unset PGPASSWORD
DATABASE_URL="postgres://rxledger:$APP_PASSWORD@127.0.0.1:$RW_PORT/rxledger"
READ_DATABASE_URL="postgres://rxledger:$APP_PASSWORD@127.0.0.1:$RO_PORT/rxledger"

# 8. The app processes: one set of secrets (the log key, the operator's key and token) shared by all.
mkdir -p "$CLUSTER_DIR/app"
node -e '
  const { randomBytes } = require("crypto");
  const { formatSignerKey } = require(process.argv[1] + "/src/checkpoint");
  const origin = "rxledger.cluster/log";
  console.log(`LOG_ORIGIN=${origin}`);
  console.log(`LOG_PRIVATE_KEY=${formatSignerKey(origin, randomBytes(32))}`);
  console.log(`OPERATOR_PRIVATE_KEY=${randomBytes(32).toString("base64")}`);
  console.log(`OPERATOR_TOKEN=rxo_${randomBytes(32).toString("base64url")}`);
' "$DIST_DIR" >"$CLUSTER_DIR/app/secrets.env"
chmod 600 "$CLUSTER_DIR/app/secrets.env"
start_app() {
  local i=$1
  # shellcheck disable=SC2046
  env $(cat "$CLUSTER_DIR/app/secrets.env") DATABASE_URL="$DATABASE_URL" PORT="${APP_PORTS[$((i - 1))]}" \
    HOST=127.0.0.1 DATA_DIR="$CLUSTER_DIR/app" SYNCHRONOUS_STANDBY="$SYNC_STANDBY" \
    CHECKPOINT_INTERVAL_MS="${CHECKPOINT_INTERVAL_MS:-250}" LOG_LEVEL="${LOG_LEVEL:-log}" \
    setsid node "$DIST_DIR/src/main.js" >>"$CLUSTER_DIR/logs/app$i.log" 2>&1 </dev/null &
  echo $! >"$CLUSTER_DIR/pids/app$i.pid"
}
app_ready() { curl -sf "http://127.0.0.1:${APP_PORTS[$(($1 - 1))]}/v1/health" >/dev/null; }
# The first process applies the migrations; the others start once it answers.
for i in $(seq "$APPS"); do
  say "starting RxLedger process app$i on http://127.0.0.1:${APP_PORTS[$((i - 1))]}"
  start_app "$i"
  if [ "$i" = 1 ]; then
    for _ in $(seq 300); do
      app_ready 1 && break
      sleep 0.2
    done
  fi
done
for i in $(seq "$APPS"); do
  for _ in $(seq 300); do
    app_ready "$i" && break
    sleep 0.2
  done
  app_ready "$i" || die "app$i did not become ready (logs/app$i.log)"
done

urls=()
for port in "${APP_PORTS[@]}"; do urls+=("http://127.0.0.1:$port"); done
OPERATOR_TOKEN="$(sed -n 's/^OPERATOR_TOKEN=//p' "$CLUSTER_DIR/app/secrets.env")"
cat >"$CLUSTER_DIR/cluster.env" <<ENV
# The reference cluster (scripts/cluster/up.sh). Source it: set -a; . $CLUSTER_DIR/cluster.env; set +a
CLUSTER_DIR=$CLUSTER_DIR
RXLEDGER_DIST=$DIST_DIR
DATABASE_URL=$DATABASE_URL
READ_DATABASE_URL=$READ_DATABASE_URL
POSTGRES_SUPERUSER_URL=postgres://postgres:$SUPERUSER_PASSWORD@127.0.0.1:$RW_PORT/postgres
HAPROXY_RW_PORT=$RW_PORT
HAPROXY_RO_PORT=$RO_PORT
HAPROXY_STATS_URL=http://127.0.0.1:$STATS_PORT/
ETCD_URL=http://127.0.0.1:$ETCD_PORT
PATRONI_CONFIG=$CLUSTER_DIR/pg1/patroni.yml
PG_PORTS="${PG_PORTS[*]}"
PATRONI_API_PORTS="${API_PORTS[*]}"
APP_URLS="${urls[*]}"
RXLEDGER_URL=${urls[0]:-}
RXLEDGER_TOKEN=$OPERATOR_TOKEN
OPERATOR_TOKEN=$OPERATOR_TOKEN
SYNCHRONOUS_MODE_STRICT=$STRICT
ENV
chmod 600 "$CLUSTER_DIR/cluster.env"
trap - ERR
say "ready: ${APPS} RxLedger processes (${urls[*]}) through HAProxy 127.0.0.1:$RW_PORT to 3 Patroni nodes"
say "settings for scripts: $CLUSTER_DIR/cluster.env; logs: $CLUSTER_DIR/logs; stop and remove: npm run cluster:down"

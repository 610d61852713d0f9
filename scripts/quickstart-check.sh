#!/usr/bin/env bash
# The README's quick start (`npm install && npm start`) on clean clones of this repository's HEAD: as the user
# running this script (root in CI) and, when that is root, as an ordinary user made with `useradd`, each in a folder
# of its own. Each run must answer GET /v1/log/checkpoint; it is then stopped (SIGTERM) and must leave no process
# behind, its embedded PostgreSQL included. Every process, folder and user made here is removed on exit, failure or
# not. `.ci/run` calls it after the build. Reuses the npm cache (npm install --prefer-offline); free ports only.
#   QUICKSTART_TIMEOUT  seconds each start may take until the checkpoint answers (default 300)
set -euo pipefail
SOURCE="$(cd "$(dirname "$0")/.." && pwd)"
TIMEOUT="${QUICKSTART_TIMEOUT:-300}"
QS_USER=rxledger-quickstart
started_at=$(date +%s)

work=$(mktemp -d /tmp/rxledger-quickstart.XXXXXX)
chmod 755 "$work" # run as root, PostgreSQL runs as the `postgres` user, who must enter the clone
groups=()         # process groups started here (setsid: group id = pid)
clones=()
made_user=""

cleanup() {
  local status=$?
  for pgid in "${groups[@]}"; do kill -TERM -- "-$pgid" 2>/dev/null || true; done
  for pgid in "${groups[@]}"; do
    for _ in $(seq 1 100); do kill -0 -- "-$pgid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$pgid" 2>/dev/null || true
  done
  # A postmaster that outlived its server (it is in the same process group, but make sure).
  for clone in "${clones[@]}"; do
    pidfile="$clone/.rxledger/pg/postmaster.pid"
    if [ -f "$pidfile" ]; then kill -QUIT "$(head -1 "$pidfile")" 2>/dev/null || true; fi
  done
  rm -rf "$work"
  if [ -n "$made_user" ]; then userdel --remove "$made_user" 2>/dev/null || true; fi
  echo "== quick start check: $([ $status = 0 ] && echo passed || echo FAILED) in $(($(date +%s) - started_at)) s"
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free port below Linux's ephemeral range (32768-60999): npm install's own connections take ephemeral local ports.
free_port() {
  node -e "
    const net = require('net');
    const tryPort = () => {
      const port = 20000 + Math.floor(Math.random() * 12000);
      const s = net.createServer().once('error', tryPort).listen(port, '127.0.0.1', () => { console.log(port); s.close(); });
    };
    tryPort();"
}

# quickstart <label> <clone folder> <log file> <command prefix...>: runs the README's commands in the clone.
quickstart() {
  local label=$1 clone=$2 log=$3
  shift 3
  local port step_started
  port=$(free_port)
  step_started=$(date +%s)
  echo "== quick start as $label in $clone (PORT=$port)"
  clones+=("$clone")
  setsid "$@" bash -c 'cd "$1" && npm install --prefer-offline --no-audit --no-fund --loglevel=error && PORT="$2" npm start' \
    quickstart "$clone" "$port" >"$log" 2>&1 </dev/null &
  local pgid=$!
  groups+=("$pgid")
  local deadline=$(($(date +%s) + TIMEOUT))
  until curl -sf -o /dev/null "http://127.0.0.1:$port/v1/log/checkpoint"; do
    if ! kill -0 "$pgid" 2>/dev/null || [ "$(date +%s)" -ge "$deadline" ]; then
      echo "!! the quick start as $label did not answer /v1/log/checkpoint; its output ends with:"
      tail -40 "$log"
      return 1
    fi
    sleep 0.5
  done
  echo "   /v1/log/checkpoint answers after $(($(date +%s) - step_started)) s: $(curl -s "http://127.0.0.1:$port/v1/log/checkpoint" | head -2 | tr '\n' ' ')"
  kill -TERM -- "-$pgid"
  for _ in $(seq 1 150); do kill -0 -- "-$pgid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 -- "-$pgid" 2>/dev/null || [ -f "$clone/.rxledger/pg/postmaster.pid" ]; then
    echo "!! the quick start as $label left processes behind after SIGTERM:"
    ps -o pid,user,args -g "$pgid" || true
    return 1
  fi
  echo "   stopped, with its embedded PostgreSQL"
}

me=$(id -un)
git clone -q "$SOURCE" "$work/$me"
quickstart "$me" "$work/$me" "$work/$me.log"

if [ "$(id -u)" = 0 ]; then
  if ! id "$QS_USER" >/dev/null 2>&1; then
    useradd --create-home --shell /bin/bash "$QS_USER"
    made_user=$QS_USER
  fi
  home=$(getent passwd "$QS_USER" | cut -d: -f6)
  mkdir "$work/$QS_USER"
  # The ordinary user gets a copy of root's npm cache, so that its install needs no network either.
  cache=$(npm config get cache)
  if [ -d "$cache/_cacache" ]; then mkdir -p "$work/$QS_USER/npm-cache" && cp -r "$cache/_cacache" "$work/$QS_USER/npm-cache/"; fi
  # Its clone is its own (git refuses to read another user's repository as the source of a clone).
  git clone -q "$SOURCE" "$work/$QS_USER/rxledger"
  chown -R "$QS_USER:" "$work/$QS_USER"
  as_user=(runuser -u "$QS_USER" -- env -i "PATH=$PATH" "HOME=$home" "npm_config_cache=$work/$QS_USER/npm-cache")
  quickstart "$QS_USER (uid $(id -u "$QS_USER"))" "$work/$QS_USER/rxledger" "$work/$QS_USER.log" "${as_user[@]}"
else
  echo "== not root: the run as another user is skipped"
fi

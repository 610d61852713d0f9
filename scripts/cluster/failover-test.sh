#!/usr/bin/env bash
# `npm run cluster:failover-test`: starts a reference cluster of its own (scripts/cluster/up.sh, in a folder of its
# own so that it never touches a cluster started by `npm run cluster`), runs scripts/cluster/failover-test.mjs
# against it, and removes it again. The cluster's logs are kept in test-artifacts/cluster-failover/.
set -euo pipefail
cd "$(dirname "$0")/../.."
export RXLEDGER_CLUSTER_DIR="${RXLEDGER_CLUSTER_DIR:-/tmp/rxledger-failover-$$}"
export RXLEDGER_CLUSTER_APPS=2
status=1
finish() {
  if [ -d "$RXLEDGER_CLUSTER_DIR/logs" ]; then
    rm -rf test-artifacts/cluster-failover
    mkdir -p test-artifacts/cluster-failover
    cp -r "$RXLEDGER_CLUSTER_DIR/logs/." test-artifacts/cluster-failover/
    echo "failover test: the cluster's logs are kept in test-artifacts/cluster-failover/"
  fi
  bash scripts/cluster/down.sh
}
trap finish EXIT
started=$(date +%s)
bash scripts/cluster/up.sh
node scripts/cluster/failover-test.mjs && status=0 || status=$?
echo "failover test: $(($(date +%s) - started)) s in all (cluster start-up included)"
exit "$status"

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { migrate } from '../../src/database/migrate';
import { processTreeCpuMs } from './cpu-time';
import { BenchDatabase } from './postgres';

/** One PostgreSQL node of the reference cluster: its postmaster and what Patroni says it is now. */
export interface ClusterNode {
  name: string;
  role: 'primary' | 'standby';
  postmasterPid: number;
}

/** A fresh database on the reference cluster (`npm run cluster`), reached through HAProxy. */
export interface ClusterDatabase extends BenchDatabase {
  /** HAProxy's read-only port: the standbys. */
  readUrl: string;
  nodes: ClusterNode[];
  /** CPU milliseconds used so far by each node's PostgreSQL (postmaster and every backend), by node name. */
  cpuByNode(): Record<string, number>;
}

/** `KEY=value` lines of `<clusterDir>/cluster.env` (written by scripts/cluster/up.sh). */
function readClusterEnv(clusterDir: string): Record<string, string> {
  const file = path.join(clusterDir, 'cluster.env');
  if (!fs.existsSync(file)) throw new Error(`${file} not found: start the cluster with \`npm run cluster\` first`);
  const env: Record<string, string> = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line);
    if (match) env[match[1]] = match[2].replace(/^"(.*)"$/, '$1');
  }
  return env;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * `--cluster <dir>`: instead of a fresh embedded PostgreSQL, a fresh database `rxbench_<random>` on the reference
 * cluster of `<dir>` (created through HAProxy's read-write port as the cluster's superuser, owned by the app's role,
 * migrated), so the benchmark's own servers write through HAProxy to the Patroni primary, with the cluster's
 * synchronous replication. `synchronousCommit` sets that database's `synchronous_commit` (e.g. `local`: commits
 * wait for no standby, the same nodes otherwise). Dropped at the end unless `keep`.
 */
export async function startClusterDatabase(
  clusterDir: string,
  options: { keep?: boolean; synchronousCommit?: string } = {},
): Promise<ClusterDatabase> {
  const env = readClusterEnv(clusterDir);
  const name = `rxbench_${randomBytes(4).toString('hex')}`;
  const appRole = new URL(env.DATABASE_URL).username;
  const admin = new Client({ connectionString: env.POSTGRES_SUPERUSER_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} OWNER ${appRole}`);
    // The benchmarks end their seeding with a CHECKPOINT (a steady state); PostgreSQL 15 lets this role do it.
    await admin.query(`GRANT pg_checkpoint TO ${appRole}`);
    if (options.synchronousCommit) {
      await admin.query(`ALTER DATABASE ${name} SET synchronous_commit = '${options.synchronousCommit}'`);
    }
  } finally {
    await admin.end();
  }
  const url = withDatabase(env.DATABASE_URL, name);
  await migrate(url);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxledger-bench-'));
  fs.chmodSync(dataDir, 0o755);
  const apiPorts = env.PATRONI_API_PORTS.split(' ');
  const nodes: ClusterNode[] = [];
  for (let i = 0; i < apiPorts.length; i++) {
    const nodeName = `pg${i + 1}`;
    const status = (await (await fetch(`http://127.0.0.1:${apiPorts[i]}/patroni`)).json()) as { role: string };
    const pidFile = path.join(env.CLUSTER_DIR, nodeName, 'data', 'postmaster.pid');
    nodes.push({
      name: nodeName,
      role: status.role === 'master' || status.role === 'primary' ? 'primary' : 'standby',
      postmasterPid: Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]),
    });
  }
  let stopped = false;
  return {
    url,
    readUrl: withDatabase(env.READ_DATABASE_URL, name),
    dataDir,
    nodes,
    cpuByNode: () => Object.fromEntries(nodes.map((node) => [node.name, processTreeCpuMs(node.postmasterPid)])),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      fs.rmSync(dataDir, { recursive: true, force: true });
      if (options.keep) return;
      const end = new Client({ connectionString: env.POSTGRES_SUPERUSER_URL });
      await end.connect();
      try {
        await end.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await end.end();
      }
    },
  };
}

/** The node Patroni calls the primary (the one whose CPU is the write path's). */
export function primaryNode(database: ClusterDatabase): ClusterNode {
  const primary = database.nodes.find((node) => node.role === 'primary');
  if (!primary) throw new Error('no node of the cluster is the primary');
  return primary;
}

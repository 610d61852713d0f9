import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Logger } from '@nestjs/common';
import { formatSignerKey, parseSignerKey } from '../checkpoint';
import { AppConfig, ConfigError } from './app-config';

/** The secrets the server signs and authenticates with. */
export class Secrets {
  constructor(
    /** The log's signed-note private key (PRIVATE+KEY+<origin>+<id>+<base64>). */
    readonly logSignerKey: string,
    /** The operator's Ed25519 seed, which signs partner registrations and key changes. */
    readonly operatorSeed: Uint8Array,
    /** The operator's bearer token. */
    readonly operatorToken: string,
  ) {}
}

/**
 * Takes each secret from the configuration, or else from `<DATA_DIR>/keys/` (mode 0700), generating it there
 * (mode 0600) on first start so that a newcomer's `npm start` works. Production sets all three in the environment.
 */
export function loadSecrets(config: AppConfig): Secrets {
  const dir = path.join(config.dataDir, 'keys');
  const logger = new Logger('Secrets');
  const fromFile = (name: string, generate: () => string): string => {
    const file = path.join(dir, name);
    if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
    // The data folder stays enterable (0755): run as root, the embedded PostgreSQL runs as the `postgres` user and
    // keeps its cluster in it. Only the keys' own folder is private.
    fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o755 });
    fs.mkdirSync(dir, { mode: 0o700, recursive: true });
    const value = generate();
    fs.writeFileSync(file, value + '\n', { mode: 0o600 });
    logger.warn(`generated ${file} (set it in the environment in production)`);
    return value;
  };
  const logSignerKey =
    config.LOG_PRIVATE_KEY ?? fromFile('log.skey', () => formatSignerKey(config.LOG_ORIGIN, randomBytes(32)));
  const logKeySource = config.LOG_PRIVATE_KEY ? 'LOG_PRIVATE_KEY' : path.join(dir, 'log.skey');
  let keyName: string;
  try {
    keyName = parseSignerKey(logSignerKey).name;
  } catch (error) {
    throw new ConfigError(`Invalid configuration:\n  ${logKeySource}: ${(error as Error).message}`);
  }
  if (keyName !== config.LOG_ORIGIN) {
    throw new ConfigError(
      `Invalid configuration:\n  LOG_ORIGIN=${JSON.stringify(config.LOG_ORIGIN)}: the log's origin must be the name of its signing key ` +
        `(${JSON.stringify(keyName)} in ${logKeySource})`,
    );
  }
  const operatorSeed =
    config.OPERATOR_PRIVATE_KEY ?? fromFile('operator.key', () => randomBytes(32).toString('base64'));
  const operatorToken =
    config.OPERATOR_TOKEN ?? fromFile('operator.token', () => `rxo_${randomBytes(32).toString('base64url')}`);
  const seed = new Uint8Array(Buffer.from(operatorSeed, 'base64'));
  if (seed.length !== 32) {
    throw new ConfigError(
      `Invalid configuration:\n  ${path.join(dir, 'operator.key')}: must hold the base64 of a 32-byte Ed25519 seed`,
    );
  }
  return new Secrets(logSignerKey, seed, operatorToken);
}

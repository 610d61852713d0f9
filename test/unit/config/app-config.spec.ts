import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { formatSignerKey } from '../../../src/checkpoint';
import { parse as parseDotEnv } from 'dotenv';
import { CONFIG_VARIABLES, ConfigError, loadConfig, withDotEnv } from '../../../src/config/app-config';
import { loadSecrets } from '../../../src/config/secrets';

describe('configuration', () => {
  it('has working defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 3000,
      DATA_DIR: '.rxledger',
      LOG_ORIGIN: 'rxledger.local/log',
      INTEGRATOR: 'on',
    });
  });

  it('stops start-up naming every bad variable and its rule', () => {
    const attempt = () =>
      loadConfig({ PORT: 'eighty', CHECKPOINT_INTERVAL_MS: '5', OPERATOR_GLN: '0860000000001', LOG_FORMAT: 'xml' });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toMatch(/PORT="eighty"/);
      expect(message).toMatch(/CHECKPOINT_INTERVAL_MS="5".*10/);
      expect(message).toMatch(/OPERATOR_GLN="0860000000001".*check digit/);
      expect(message).toMatch(/LOG_FORMAT="xml"/);
    }
  });

  it('refuses a log key whose name is not LOG_ORIGIN (the origin is the key name in every checkpoint)', () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxledger-config-'));
    const config = loadConfig({
      DATA_DIR: dataDir,
      LOG_ORIGIN: 'pharma.example/log',
      LOG_PRIVATE_KEY: formatSignerKey('other.example/log', randomBytes(32)),
      OPERATOR_TOKEN: 'x'.repeat(32),
      OPERATOR_PRIVATE_KEY: randomBytes(32).toString('base64'),
    });
    expect(() => loadSecrets(config)).toThrow(/LOG_ORIGIN="pharma.example\/log".*"other.example\/log"/s);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses a malformed log key, naming where it came from', () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxledger-config-'));
    const config = loadConfig({
      DATA_DIR: dataDir,
      LOG_PRIVATE_KEY: 'PRIVATE+KEY+rxledger.local/log+00000000+AQ==',
      OPERATOR_TOKEN: 'x'.repeat(32),
    });
    expect(() => loadSecrets(config)).toThrow(ConfigError);
    expect(() => loadSecrets(config)).toThrow(/Invalid configuration:\n {2}LOG_PRIVATE_KEY: /);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('the server stops on a bad secret before it starts PostgreSQL: one clear message, no stack, exit 1', () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxledger-config-'));
    const run = spawnSync(process.execPath, [path.resolve(__dirname, '../../../dist/src/main.js')], {
      env: {
        PATH: process.env.PATH,
        DATA_DIR: dataDir,
        LOG_ORIGIN: 'pharma.example/log',
        LOG_PRIVATE_KEY: formatSignerKey('other.example/log', randomBytes(32)),
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^Invalid configuration:\n {2}LOG_ORIGIN="pharma.example\/log"/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(path.join(dataDir, 'pg'))).toBe(false);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('generates missing secrets once, readable only by their owner, and reuses them', () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxledger-config-'));
    const config = loadConfig({ DATA_DIR: dataDir });
    const first = loadSecrets(config);
    const second = loadSecrets(config);
    expect(second).toEqual(first);
    for (const file of ['log.skey', 'operator.key', 'operator.token']) {
      expect(fs.statSync(path.join(dataDir, 'keys', file)).mode & 0o777).toBe(0o600);
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('generates the keys in a private folder of their own; the data folder stays enterable (PostgreSQL runs as another user when root)', () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'rxledger-config-'));
    const dataDir = path.join(parent, 'data');
    loadSecrets(loadConfig({ DATA_DIR: dataDir }));
    expect(fs.statSync(dataDir).mode & 0o011).toBe(0o011);
    expect(fs.statSync(path.join(dataDir, 'keys')).mode & 0o777).toBe(0o700);
    fs.rmSync(parent, { recursive: true, force: true });
  });
});

describe('.env and .env.example', () => {
  const ROOT = path.resolve(__dirname, '../../..');
  const DIST = path.join(ROOT, 'dist/src');

  it('.env.example lists exactly the configuration variables, each under a comment, each at its default', () => {
    const text = fs.readFileSync(path.join(ROOT, '.env.example'), 'utf8');
    const example = parseDotEnv(text);
    expect(Object.keys(example)).toEqual([...CONFIG_VARIABLES]);
    const lines = text.split('\n');
    for (const name of CONFIG_VARIABLES) {
      const at = lines.findIndex((line) => line.startsWith(`${name}=`));
      expect([name, lines[at - 1]]).toEqual([name, expect.stringMatching(/^# \S/)]);
    }
    // An empty value is unset: copied to .env as it is, the file changes nothing.
    expect(loadConfig(example)).toEqual(loadConfig({}));
  });

  it('adds the variables of a .env file; a variable of the real environment wins, even when empty', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxledger-dotenv-'));
    const file = path.join(dir, '.env');
    expect(withDotEnv({ PORT: '1' }, file)).toEqual({ PORT: '1' });
    fs.writeFileSync(file, 'PORT=4000\nOPERATOR_NAME="Acme network # 1"\nLOG_LEVEL=debug # comment\nHOST=::1\n');
    const env = withDotEnv({ HOST: '127.0.0.1', LOG_LEVEL: '' }, file);
    expect(env).toEqual({ PORT: '4000', OPERATOR_NAME: 'Acme network # 1', LOG_LEVEL: '', HOST: '127.0.0.1' });
    expect(loadConfig(env)).toMatchObject({ PORT: 4000, OPERATOR_NAME: 'Acme network # 1', LOG_LEVEL: 'log' });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Runs a built entry point in a folder holding `.env` with an invalid PORT; stops before any database. */
  function runWithDotEnv(entry: string, args: string[], env: Record<string, string>) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxledger-dotenv-'));
    fs.writeFileSync(path.join(dir, '.env'), 'PORT=eighty\n');
    const run = spawnSync(process.execPath, [path.join(DIST, entry), ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH, ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });
    fs.rmSync(dir, { recursive: true, force: true });
    return run;
  }

  it('the server reads the .env of its working directory', () => {
    // Without the .env, this start would stop on the mismatched log key instead.
    const run = runWithDotEnv('main.js', [], {
      DATA_DIR: 'data',
      LOG_ORIGIN: 'pharma.example/log',
      LOG_PRIVATE_KEY: formatSignerKey('other.example/log', randomBytes(32)),
    });
    expect([run.status, run.stderr]).toEqual([1, expect.stringMatching(/^Invalid configuration:\n {2}PORT="eighty"/)]);
  });

  it('the server commands (audit, rebuild, migrate) read the .env of their working directory', () => {
    // Without the .env, these would fail to connect instead.
    for (const command of ['audit', 'rebuild', 'migrate']) {
      const run = runWithDotEnv('cli/main.js', [command], { DATABASE_URL: 'postgres://x:y@127.0.0.1:1/none' });
      expect([command, run.status, run.stderr]).toEqual([command, 1, expect.stringContaining('PORT="eighty"')]);
    }
  });
});

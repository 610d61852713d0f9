import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { formatSignerKey } from '../../../src/checkpoint';
import { ConfigError, loadConfig } from '../../../src/config/app-config';
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
});

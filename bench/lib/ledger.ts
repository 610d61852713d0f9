import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { Secrets } from '../../src/config/secrets';
import { dataSourceOptions } from '../../src/database/data-source';
import { Database } from '../../src/database/database';
import { CheckpointService } from '../../src/ledger/checkpoint.service';
import { LogRepository } from '../../src/ledger/log.repository';
import { LogService } from '../../src/ledger/log.service';
import { LogSignals } from '../../src/ledger/log-signals';
import { TreeService } from '../../src/ledger/tree.service';
import { BENCH_SECRETS } from './server';

/** A LogRepository that counts the tile reads reaching PostgreSQL. */
export class CountingLogRepository extends LogRepository {
  tileReads = 0;

  override leafHashes(...args: Parameters<LogRepository['leafHashes']>): ReturnType<LogRepository['leafHashes']> {
    this.tileReads++;
    return super.leafHashes(...args);
  }

  override treeHashes(...args: Parameters<LogRepository['treeHashes']>): ReturnType<LogRepository['treeHashes']> {
    this.tileReads++;
    return super.treeHashes(...args);
  }

  /** Several tiles in one round trip: each tile counts as one read. */
  override tileRows(...args: Parameters<LogRepository['tileRows']>): ReturnType<LogRepository['tileRows']> {
    this.tileReads += args[0].length;
    return super.tileRows(...args);
  }
}

export interface InProcessLedger {
  db: Database;
  repository: CountingLogRepository;
  checkpoints: CheckpointService;
  /** A LogService over `tree`, by default a new TreeService (an empty tile cache). */
  logService(tree?: TreeService): LogService;
  newTree(): TreeService;
  close(): Promise<void>;
}

/**
 * The server's read side (LogService over TreeService over LogRepository) built by hand in this process, on the
 * same database as the running server, without Nest: to time the code behind the proof endpoints without HTTP.
 * Read-only: it publishes nothing and does not take part in LISTEN/NOTIFY.
 */
export async function openInProcessLedger(databaseUrl: string, poolSize = 4): Promise<InProcessLedger> {
  const dataSource = new DataSource(dataSourceOptions(databaseUrl, poolSize));
  await dataSource.initialize();
  const db = new Database(dataSource);
  const repository = new CountingLogRepository(db);
  const secrets = new Secrets(BENCH_SECRETS.logPrivateKey, BENCH_SECRETS.operatorSeed, BENCH_SECRETS.operatorToken);
  const checkpoints = new CheckpointService(secrets, repository, new LogSignals(db));
  await checkpoints.refresh();
  // With BENCH_APP (another build, see server.ts), time that build's LogService and TreeService too (a pair: each
  // build's LogService calls its own TreeService's methods).
  const built = (file: string) => path.resolve(process.env.BENCH_APP!, 'dist', 'src', 'ledger', file);
  const Tree: typeof TreeService = process.env.BENCH_APP
    ? ((await import(built('tree.service.js'))) as { TreeService: typeof TreeService }).TreeService
    : TreeService;
  const Log: typeof LogService = process.env.BENCH_APP
    ? ((await import(built('log.service.js'))) as { LogService: typeof LogService }).LogService
    : LogService;
  const newTree = () => new Tree(repository);
  return {
    db,
    repository,
    checkpoints,
    newTree,
    logService: (tree = newTree()) => new Log(repository, tree, checkpoints),
    close: () => dataSource.destroy(),
  };
}

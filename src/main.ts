import 'reflect-metadata';
import { createApp, createLogger } from './app.factory';
import { ConfigError, loadConfig, withDotEnv } from './config/app-config';
import { loadSecrets } from './config/secrets';
import { startWhenDatabaseAnswers } from './database/wait-for-database';
import { listenWhileStarting, CannotListenError } from './health/starting-server';
import { EmbeddedDatabase, EmbeddedPostgresError, startEmbeddedPostgres } from './database/embedded-postgres';

/** Ends start-up with one line an operator can act on (no stack trace). */
function stop(message: string): never {
  console.error(message);
  process.exit(1);
}

async function main(): Promise<void> {
  let config;
  let secrets;
  try {
    config = loadConfig(withDotEnv());
    secrets = loadSecrets(config);
  } catch (error) {
    if (error instanceof ConfigError) stop(error.message);
    throw error;
  }
  const logger = createLogger(config);
  // The port is held from the first moment: a taken PORT stops start-up before anything is created, and until the
  // database answers (it may still be starting, or failing over) a stand-in answers health 503 on it.
  const standIn = await listenWhileStarting(config.PORT, config.HOST).catch((error: unknown) => {
    if (error instanceof CannotListenError) stop(error.message);
    throw error;
  });
  let embedded: EmbeddedDatabase | undefined;
  try {
    let databaseUrl = config.DATABASE_URL;
    if (!databaseUrl) {
      logger.log(`no DATABASE_URL: starting the embedded PostgreSQL in ${config.dataDir}/pg`, 'Database');
      embedded = await startEmbeddedPostgres({
        dataDir: config.dataDir,
        port: config.EMBEDDED_PG_PORT,
        log: (message) => logger.debug?.(message, 'PostgreSQL'),
        notice: (message) => logger.log(message, 'Database'),
      }).catch((error: unknown) => {
        if (error instanceof EmbeddedPostgresError) stop(`cannot start the embedded PostgreSQL: ${error.message}`);
        throw error;
      });
      databaseUrl = embedded.url;
    }
    const url = databaseUrl;
    const app = await startWhenDatabaseAnswers(
      url,
      () => createApp({ config, secrets, databaseUrl: url }, logger),
      logger,
    );
    const port = standIn.port;
    await standIn.close();
    app.enableShutdownHooks();
    await app.listen(port, config.HOST);
    logger.log(`listening on http://${config.HOST}:${port} (API docs at /docs)`, 'RxLedger');
  } catch (error) {
    // A PostgreSQL this process started must not outlive a failed start (process.exit skips its exit hook).
    await embedded?.stop().catch(() => undefined);
    throw error;
  }
}

main().catch((error: Error) => {
  console.error(error.stack ?? error.message);
  process.exit(1);
});

import 'reflect-metadata';
import { createApp, createLogger } from './app.factory';
import { ConfigError, loadConfig, withDotEnv } from './config/app-config';
import { loadSecrets } from './config/secrets';
import { startWhenDatabaseAnswers } from './database/wait-for-database';
import { listenWhileStarting } from './health/starting-server';
import { EmbeddedPostgresError, startEmbeddedPostgres } from './database/embedded-postgres';

async function main(): Promise<void> {
  let config;
  let secrets;
  try {
    config = loadConfig(withDotEnv());
    secrets = loadSecrets(config);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config);
  let databaseUrl = config.DATABASE_URL;
  if (!databaseUrl) {
    logger.log(`no DATABASE_URL: starting the embedded PostgreSQL in ${config.dataDir}/pg`, 'Database');
    const embedded = await startEmbeddedPostgres({
      dataDir: config.dataDir,
      port: config.EMBEDDED_PG_PORT,
      log: (message) => logger.debug?.(message, 'PostgreSQL'),
      notice: (message) => logger.log(message, 'Database'),
    }).catch((error: unknown) => {
      if (!(error instanceof EmbeddedPostgresError)) throw error;
      console.error(`cannot start the embedded PostgreSQL: ${error.message}`);
      process.exit(1);
    });
    databaseUrl = embedded.url;
  }
  // Until the database answers (it may start later, or fail over), a stand-in answers health 503 on the port.
  const standIn = await listenWhileStarting(config.PORT, config.HOST);
  const url = databaseUrl;
  const app = await startWhenDatabaseAnswers(
    url,
    () => createApp({ config, secrets, databaseUrl: url }, logger),
    logger,
  );
  await standIn.close();
  app.enableShutdownHooks();
  await app.listen(config.PORT, config.HOST);
  logger.log(`listening on http://${config.HOST}:${config.PORT} (API docs at /docs)`, 'RxLedger');
}

main().catch((error: Error) => {
  console.error(error.stack ?? error.message);
  process.exit(1);
});

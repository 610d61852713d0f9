import { ConsoleLogger, INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory, Reflector } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppModule, AppOptions } from './app.module';
import { migrate } from './database/migrate';
import { requestLogger } from './common/request-logger';
import { methodNotAllowed } from './common/method-not-allowed';
import { RequestBodyInterceptor } from './auth/request-body';
import { answerClientErrors } from './common/client-errors';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

export function createLogger(options: Pick<AppOptions['config'], 'LOG_FORMAT' | 'LOG_LEVEL'>): ConsoleLogger {
  return new ConsoleLogger('RxLedger', {
    json: options.LOG_FORMAT === 'json',
    colors: options.LOG_FORMAT === 'text' && process.stdout.isTTY,
    logLevels: LEVELS.slice(0, LEVELS.indexOf(options.LOG_LEVEL) + 1),
  });
}

/** Migrates the database and builds the HTTP application (not yet listening). Used by main.ts and the tests. */
export async function createApp(options: AppOptions, logger = createLogger(options.config)): Promise<INestApplication> {
  const applied = await migrate(options.databaseUrl);
  if (applied.length > 0) logger.log(`applied migrations: ${applied.join(', ')}`, 'Database');
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(options), {
    bodyParser: false,
    logger,
    // A failure (the database away during start-up) is thrown to the caller, which may wait and try again.
    abortOnError: false,
  });
  // Bodies are read after authentication, with limits by route (src/auth/request-body.ts), not by a global parser.
  app.useGlobalInterceptors(new RequestBodyInterceptor(app.get(Reflector), options.config.MAX_BODY_MB * 1024 * 1024));
  app.use(requestLogger(logger));
  app.use(methodNotAllowed(app));
  app.set('x-powered-by', false);
  answerClientErrors(app.getHttpServer());
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('RxLedger')
      .setDescription(
        'Signed drug supply-chain events in a Merkle-anchored, append-only log. See docs/PROTOCOL.md for the exact bytes.',
      )
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
  return app;
}

import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthGuard } from './auth/auth.guard';
import { ValidationError } from './common/app-error';
import { HttpExceptionFilter } from './common/http-exception.filter';
import { RequestValidationPipe, toFieldViolations, VALIDATOR_OPTIONS } from './common/validation';
import { AppConfig } from './config/app-config';
import { RunMode } from './config/run-mode';
import { Secrets } from './config/secrets';
import { dataSourceOptions, SERVER_STATEMENT_TIMEOUT_MS } from './database/data-source';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { LedgerModule } from './ledger/ledger.module';
import { PartiesModule } from './parties/parties.module';
import { SupplyChainModule } from './supply-chain/supply-chain.module';
import { ManufacturersModule } from './manufacturers/manufacturers.module';
import { DistributorsModule } from './distributors/distributors.module';
import { DispensersModule } from './dispensers/dispensers.module';
import { VerificationModule } from './verification/verification.module';
import { ReportsModule } from './reports/reports.module';
import { AlertsModule } from './alerts/alerts.module';
import { EpcisRestModule } from './epcis-rest/epcis-rest.module';
import { PeopleModule } from './people/people.module';
import { WebModule } from './web/web.module';

export interface AppOptions {
  config: AppConfig;
  secrets: Secrets;
  databaseUrl: string;
  /** `tool`: an operator command (rebuild) — no integrator, no genesis, no HTTP. Default `server`. */
  mode?: RunMode['mode'];
}

@Global()
@Module({})
class CoreModule {
  static forRoot(options: AppOptions): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: AppConfig, useValue: options.config },
        { provide: Secrets, useValue: options.secrets },
        { provide: RunMode, useValue: new RunMode(options.mode ?? 'server') },
      ],
      exports: [AppConfig, Secrets, RunMode],
    };
  }
}

@Module({})
export class AppModule {
  static forRoot(options: AppOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(options),
        TypeOrmModule.forRoot(
          dataSourceOptions(options.databaseUrl, undefined, {
            statementTimeoutMs: (options.mode ?? 'server') === 'server' ? SERVER_STATEMENT_TIMEOUT_MS : undefined,
          }),
        ),
        DatabaseModule,
        LedgerModule,
        PartiesModule,
        SupplyChainModule,
        ManufacturersModule,
        DistributorsModule,
        DispensersModule,
        VerificationModule,
        ReportsModule,
        AlertsModule,
        EpcisRestModule,
        HealthModule,
        // Before WebModule: its GET /app/:page would otherwise answer /app/devices and /app/directory.
        PeopleModule,
        WebModule,
      ],
      providers: [
        {
          provide: APP_PIPE,
          useValue: new RequestValidationPipe({
            ...VALIDATOR_OPTIONS,
            transform: true,
            exceptionFactory: (errors) => new ValidationError(toFieldViolations(errors)),
          }),
        },
        { provide: APP_FILTER, useClass: HttpExceptionFilter },
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
    };
  }
}

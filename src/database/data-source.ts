import { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations';

/** The one DataSource configuration, used by the application, the CLI and the tests. Never `synchronize`. */
export function dataSourceOptions(url: string, poolSize = 20): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    synchronize: false,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migration',
    migrationsTransactionMode: 'each',
    entities: [],
    extra: { max: poolSize },
    logging: ['error'],
  };
}

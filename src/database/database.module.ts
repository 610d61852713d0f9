import { Global, Module } from '@nestjs/common';
import { Database } from './database';
import { ReadDatabase } from './read-database';

@Global()
@Module({ providers: [Database, ReadDatabase], exports: [Database, ReadDatabase] })
export class DatabaseModule {}

/**
 * Which failures mean "the database is away, send the same request again" (503 DATABASE_UNAVAILABLE) and which are
 * refusals or bugs. SQLSTATEs from PostgreSQL's Appendix A (class 08 "Connection Exception", 57P01
 * admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now, 57014 query_canceled, 53300
 * too_many_connections, 25006 read_only_sql_transaction); messages and socket codes as node-pg and pg-pool give them.
 */
import { QueryFailedError } from 'typeorm';
import {
  asDatabaseUnavailable,
  DatabaseUnavailableError,
  isDatabaseUnavailable,
} from '../../src/database/database-unavailable';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code, severity: 'FATAL' });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['a reset socket', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['a session ended mid-query', new Error('Connection terminated unexpectedly')],
    ['a pool that cannot connect in time', new Error('timeout exceeded when trying to connect')],
    ['a connection that failed earlier', new Error('Client has encountered a connection error and is not queryable')],
    ['pg_terminate_backend / a fast shutdown (57P01)', pgError('57P01')],
    ['a crash shutdown (57P02)', pgError('57P02')],
    ['a database starting up (57P03)', pgError('57P03')],
    ['a connection failure (08006)', pgError('08006')],
    ['a statement timeout (57014)', pgError('57014')],
    ['too many connections (53300)', pgError('53300')],
    ['a standby after a failover (25006)', pgError('25006')],
    [
      'both address families refused (AggregateError)',
      Object.assign(new AggregateError([Object.assign(new Error('a'), { code: 'ECONNREFUSED' })], ''), {}),
    ],
    ['what TypeORM wraps', new QueryFailedError('SELECT 1', [], pgError('57P01'))],
    ['what an error wraps as its cause', new Error('outer', { cause: pgError('08003') })],
  ])('%s: yes', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(asDatabaseUnavailable(error)).toBeInstanceOf(DatabaseUnavailableError);
  });

  it.each([
    ['a unique violation (23505)', pgError('23505')],
    ['an invalid text value (22P05)', pgError('22P05')],
    ['a wrong password (28P01)', pgError('28P01')],
    ['no such database (3D000)', pgError('3D000')],
    ['a bug', new TypeError('cannot read properties of undefined')],
    ['not an error', 'Connection terminated'],
    ['nothing', undefined],
  ])('%s: no', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
    expect(asDatabaseUnavailable(error)).toBe(error);
  });

  it('answers 503 with a stable code', () => {
    const error = new DatabaseUnavailableError(pgError('57P01'));
    expect([error.status, error.code]).toEqual([503, 'DATABASE_UNAVAILABLE']);
    expect(asDatabaseUnavailable(error)).toBe(error);
  });
});

import { Writable } from 'node:stream';
import { DriverException } from '@mikro-orm/core';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

/** What a logger like the service's writes, as text. */
function logged(write: (logger: ReturnType<typeof createLogger>) => void): string {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  write(createLogger('info', {}, stream));
  return chunks.join('');
}

/** A pg error as knex leaves it when nothing stripped the statement (values inlined by MikroORM). */
function pgError(message: string, fields: Record<string, unknown>): Error {
  return Object.assign(new Error(message), { severity: 'ERROR', ...fields });
}

describe('the err serializer', () => {
  it('withholds a statement left in front of a driver message, and the detail MikroORM appends', () => {
    const raw = pgError(`insert into "attachment" ("name", "bytes") values ('x', E'\\\\x5345435245542d4259544553') - duplicate key value violates unique constraint "attachment_pkey"`, {
      code: '23505',
      table: 'attachment',
      constraint: 'attachment_pkey',
      detail: 'Key (name)=(SECRET-NAME) already exists.',
    });
    const wrapped = new DriverException(raw);
    wrapped.message += '\n - detail: Key (name)=(SECRET-NAME) already exists.';
    const text = logged((l) => l.error({ err: wrapped }, 'failed'));
    expect(text).not.toContain('5345435245542d4259544553');
    expect(text).not.toContain('SECRET-NAME');
    expect(text).not.toContain('insert into');
    expect(JSON.parse(text).err).toMatchObject({
      type: 'DriverException',
      message: 'database error (statement and values withheld)',
      code: '23505',
      table: 'attachment',
      constraint: 'attachment_pkey',
    });
  });

  it('reduces a database error found as the cause of another error', () => {
    const cause = pgError('invalid input syntax for type uuid: "SECRET-ID"', { code: '22P02', routine: 'string_to_uuid' });
    const text = logged((l) => l.error({ err: new Error('could not load the document', { cause }) }, 'failed'));
    expect(text).not.toContain('SECRET-ID');
    expect(JSON.parse(text).err.cause).toMatchObject({ message: 'invalid input syntax for type uuid: [value withheld]', code: '22P02' });
  });

  it('keeps other errors as they are: type, message, code and stack', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
    const err = JSON.parse(logged((l) => l.warn({ err: error }, 'redis'))).err;
    expect(err).toMatchObject({ type: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:6379', code: 'ECONNREFUSED' });
    expect(err.stack).toContain('logger.test.ts');
  });
});

import { Writable } from 'node:stream';
import { DriverException } from '@mikro-orm/core';
import { describe, expect, it } from 'vitest';
import { compactError, createLogger, formatForTerminal, terminalStream, warnOnce } from './logger.js';

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

describe('logs for a person at a terminal', () => {
  it('a request is one line: method, path, status and time', () => {
    const line = formatForTerminal({ level: 30, msg: 'request', requestId: 'r1', method: 'POST', route: '/v1/documents', path: '/v1/documents', status: 201, ms: 12 });
    expect(line).toBe('POST /v1/documents → 201 (12 ms)');
  });

  it('other lines: the message, then its fields as key=value, the service fields left out, and an error stack below', () => {
    const error = new Error('connect ECONNREFUSED');
    const line = formatForTerminal({ level: 40, time: 'now', service: 'lienthong', role: 'start', msg: 'stopping the embedded PostgreSQL', port: 54329, extra: { a: 1 }, err: compactError(error) });
    const [first, ...rest] = line.split('\n');
    expect(first).toBe('stopping the embedded PostgreSQL port=54329 extra={"a":1}');
    expect(rest[0]).toBe('    Error: connect ECONNREFUSED');
    expect(rest.slice(1).every((l) => l.startsWith('        at ') || l.startsWith('    '))).toBe(true);
  });

  it('the terminal format is what pino-pretty prints, one line per entry', () => {
    const out: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        out.push(chunk.toString('utf8'));
        done();
      },
    });
    const logger = createLogger('info', {}, terminalStream(destination));
    logger.info({ requestId: 'r1', method: 'GET', route: '/v1/inbox', path: '/v1/inbox', status: 200, ms: 3 }, 'request');
    logger.warn({ port: 54329 }, 'port taken');
    expect(out.join('')).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: GET \/v1\/inbox → 200 \(3 ms\)\n\[[\d:.]+\] WARN: port taken port=54329\n$/);
  });
});

describe('warnOnce', () => {
  it('says a start-up warning once per process, however many times it is reached', () => {
    const text = logged((l) => {
      for (let i = 0; i < 3; i++) warnOnce(l, 'logger-test-warning', { file: '.data/master-key' }, 'LIENTHONG_MASTER_KEY is not set');
    });
    expect(text.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(text)).toMatchObject({ level: 40, file: '.data/master-key', msg: 'LIENTHONG_MASTER_KEY is not set' });
    expect(logged((l) => warnOnce(l, 'logger-test-warning', {}, 'again'))).toBe('');
  });
});

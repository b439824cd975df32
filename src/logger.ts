import { pino, type Logger } from 'pino';

export type { Logger };

/** The service logger: JSON lines (one per request, one per job outcome), secrets redacted. */
export function createLogger(level: string, base: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { service: 'lienthong', ...base },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Errors are logged by type, message, code and stack only: driver errors carry whole client
    // objects (connection parameters, sockets) that would flood the log.
    serializers: { err: compactError },
    redact: { paths: ['req.headers.authorization', '*.token', '*.privateKeyPem', '*.credentials'], censor: '[redacted]' },
  });
}

function compactError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  return {
    type: error.constructor.name,
    message: error.message,
    ...(code === undefined ? {} : { code }),
    stack: error.stack,
    ...(error.cause instanceof Error ? { cause: compactError(error.cause) } : {}),
  };
}

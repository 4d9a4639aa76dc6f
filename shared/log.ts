import { pino, type Logger } from "pino";

export type { Logger };

/**
 * Structured JSON logs on stdout (or stderr, for commands whose stdout is their result), one line per event.
 * Written synchronously: an asynchronous write still in flight when the process exits is lost (a busy
 * machine lost the API's last "stopped" line that way), and the product logs a few lines per cycle or
 * request, not enough for the synchronous write to cost anything measurable.
 */
export function createLogger(service: string, level: string, fd: 1 | 2 = 1): Logger {
  const options = { name: service, level, base: { service }, timestamp: pino.stdTimeFunctions.isoTime };
  return pino(options, pino.destination({ dest: fd, sync: true }));
}

/** The part of a logger a pipeline stage uses: a pino Logger satisfies it, and so does a test's fake. */
export interface StageLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

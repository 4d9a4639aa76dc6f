import { pino, type Logger } from "pino";

export type { Logger };

/** Structured JSON logs on stdout (or stderr, for commands whose stdout is their result), one line per event. */
export function createLogger(service: string, level: string, fd: 1 | 2 = 1): Logger {
  const options = { name: service, level, base: { service }, timestamp: pino.stdTimeFunctions.isoTime };
  return fd === 1 ? pino(options) : pino(options, pino.destination(2));
}

/** Exits once the logger has written out what it holds, so a last "stopped" line is not lost. */
export function exitAfterFlush(log: Logger, code: number): void {
  log.flush(() => process.exit(code));
  // Should flushing stall (a closed pipe), exit anyway.
  setTimeout(() => process.exit(code), 1000).unref();
}

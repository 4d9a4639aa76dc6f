import { pino, type Logger } from "pino";

export type { Logger };

/** Structured JSON logs on stdout, one line per event. */
export function createLogger(service: string, level: string): Logger {
  return pino({ name: service, level, base: { service }, timestamp: pino.stdTimeFunctions.isoTime });
}

/** Exits once the logger has written out what it holds, so a last "stopped" line is not lost. */
export function exitAfterFlush(log: Logger, code: number): void {
  log.flush(() => process.exit(code));
  // Should flushing stall (a closed pipe), exit anyway.
  setTimeout(() => process.exit(code), 1000).unref();
}

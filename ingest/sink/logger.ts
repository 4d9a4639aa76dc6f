/** The part of a pino logger the sink uses (a pino Logger satisfies it). */
export interface SinkLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

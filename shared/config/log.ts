// Logging, the same for every process.
import { envVar, oneOf } from "./env.js";

export const logEnv = {
  level: envVar("LOG_LEVEL", oneOf(["fatal", "error", "warn", "info", "debug", "trace", "silent"]), {
    default: "info",
    doc: "Log level of the services' JSON logs",
  }),
};

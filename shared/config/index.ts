// Configuration: the mechanism (env.ts: typed environment variables read
// together, every problem named at once) and the groups every process shares
// (InfluxDB, logging). Each component keeps its own groups beside it
// (ingest/config.ts, api/config.ts, simulator/config.ts, ...).
export * from "./env.js";
export * from "./influx.js";
export * from "./log.js";

// Child process of the long-range load (forked with tsx, one per CPU):
// generates and encodes the lines of a slice of the fleet (bench/lib/data.ts
// fleetLines) and POSTs them itself, so the bench process neither encodes
// nor copies them. Input: LoadWorkerData as JSON in BENCH_LOAD_WORKER (the
// environment, so the token stays off the command line); progress as IPC
// messages { progress: lines } and finally { done: lines }.
import { type FleetData, fleetLines } from "./data.js";
import { type RawTarget, writeRaw } from "./raw-write.js";

export interface LoadWorkerData {
  target: RawTarget;
  fleet: FleetData;
  batchLines: number;
}

export interface LoadWorkerMessage {
  progress: number;
  done?: number;
}

// Only when run as the child: importing the types above must not start a load.
const input = process.env.BENCH_LOAD_WORKER;
if (process.send && input) {
  const { target, fleet, batchLines } = JSON.parse(input) as LoadWorkerData;
  const send = (m: LoadWorkerMessage) => new Promise((resolve) => process.send!(m, undefined, {}, resolve));
  let lines = 0;
  let reported = 0;
  for (const chunk of fleetLines(fleet, batchLines)) {
    await writeRaw(target, chunk, batchLines);
    lines += chunk.length;
    if (lines - reported >= 200_000) {
      await send({ progress: lines - reported });
      reported = lines;
    }
  }
  await send({ progress: lines - reported, done: lines });
  process.exit(0);
}

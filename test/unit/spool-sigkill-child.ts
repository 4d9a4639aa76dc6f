// Child process of spool.test.ts: appends numbered batches forever and prints
// each batch number once append() resolved, until it is SIGKILLed.
import { pino } from "pino";
import { Spool } from "../../ingest/buffer/spool.js";

const dir = process.argv[2]!;
const spool = await Spool.open({ dir, maxBytes: 1 << 30, logger: pino({ level: "silent" }) });
for (let batch = 0; ; batch++) {
  await spool.append(
    Array.from({ length: 100 }, (_, i) => `kill,batch=${batch} v=${i}i ${batch * 1000 + i}`),
  );
  process.stdout.write(`${batch}\n`);
}

// A webhook receiver as its own process (spawned by tests): verifies each
// request's signature, dedupes events by id per path (its endpoint), and
// appends one JSON line per request to RECEIVER_FILE before answering, so the
// record survives the receiver being killed and restarted on the same port.
// Env: PORT, WEBHOOK_SECRET, RECEIVER_FILE.
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { SIGNATURE_HEADER, verifyWebhookSignature } from "../../ingest/notify/signature.js";
import type { WebhookPayload } from "../../ingest/notify/payload.js";

export interface ReceivedRequest {
  path: string;
  status: number;
  valid: boolean;
  reason?: string;
  batchId?: string;
  attempt?: number;
  ids: string[];
  /** Ids of this request already acknowledged earlier on the same path. */
  duplicates: string[];
  events: WebhookPayload["events"];
}

const port = Number(process.env.PORT ?? 0);
const secret = process.env.WEBHOOK_SECRET ?? "";
const file = process.env.RECEIVER_FILE ?? "";
if (!secret || !file) throw new Error("WEBHOOK_SECRET and RECEIVER_FILE are required");

// What an earlier incarnation acknowledged: dedupe must span restarts.
const seen = new Map<string, Set<string>>();
if (existsSync(file)) {
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line) continue;
    const r = JSON.parse(line) as ReceivedRequest;
    if (r.status < 300)
      for (const id of r.ids) (seen.get(r.path) ?? seen.set(r.path, new Set()).get(r.path)!).add(id);
  }
}
let forcedStatus = 0;

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const path = req.url ?? "/";
    if (path === "/_control") {
      forcedStatus = Number((JSON.parse(Buffer.concat(chunks).toString()) as { status: number }).status);
      res.writeHead(200).end("{}");
      return;
    }
    const body = Buffer.concat(chunks);
    const check = verifyWebhookSignature({ body, header: req.headers[SIGNATURE_HEADER] as string, secret });
    const record: ReceivedRequest = {
      path,
      status: 200,
      valid: check.ok,
      ids: [],
      duplicates: [],
      events: [],
    };
    if (!check.ok) {
      record.status = 401;
      record.reason = check.reason;
    } else {
      const payload = JSON.parse(body.toString("utf8")) as WebhookPayload;
      record.batchId = payload.batch_id;
      record.attempt = Number(req.headers["x-iot-delivery-attempt"]);
      record.events = payload.events;
      record.ids = payload.events.map((e) => e.id);
      if (forcedStatus) record.status = forcedStatus;
      else {
        const known = seen.get(path) ?? seen.set(path, new Set()).get(path)!;
        record.duplicates = record.ids.filter((id) => known.has(id));
        for (const id of record.ids) known.add(id);
      }
    }
    appendFileSync(file, JSON.stringify(record) + "\n");
    res.writeHead(record.status, { "content-type": "application/json" }).end("{}");
  });
});
server.listen(port, "127.0.0.1", () => {
  const address = server.address();
  process.stdout.write(
    JSON.stringify({ msg: "listening", port: typeof address === "object" ? address?.port : port }) + "\n",
  );
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));

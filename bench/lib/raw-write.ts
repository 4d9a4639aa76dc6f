// The minimal writer: pre-encoded line protocol POSTed to /api/v2/write with
// node:http and a keep-alive agent, one request at a time, nothing else.
import { Agent, request } from "node:http";
import { gzipSync } from "node:zlib";

export interface RawTarget {
  url: string;
  token: string;
  org: string;
  bucket: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

function post(target: RawTarget, body: Buffer, gzip: boolean): Promise<void> {
  const u = new URL("/api/v2/write", target.url);
  u.searchParams.set("org", target.org);
  u.searchParams.set("bucket", target.bucket);
  u.searchParams.set("precision", "us");
  return new Promise((resolve, reject) => {
    const req = request(
      u,
      {
        method: "POST",
        agent,
        headers: {
          Authorization: `Token ${target.token}`,
          "Content-Type": "text/plain; charset=utf-8",
          "Content-Length": body.length,
          ...(gzip ? { "Content-Encoding": "gzip" } : {}),
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () =>
          res.statusCode === 204
            ? resolve()
            : reject(new Error(`write answered ${res.statusCode}: ${text.slice(0, 300)}`)),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Posts `lines` in batches of `batchLines`; gzip (when asked) is done inside the timed loop, as a client would. Returns the request count. */
export async function writeRaw(
  target: RawTarget,
  lines: readonly string[],
  batchLines: number,
  gzip = false,
): Promise<number> {
  let requests = 0;
  for (let i = 0; i < lines.length; i += batchLines) {
    const text = Buffer.from(lines.slice(i, i + batchLines).join("\n"));
    await post(target, gzip ? gzipSync(text) : text, gzip);
    requests++;
  }
  return requests;
}

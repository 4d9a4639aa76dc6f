import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from "vitest";
import { REJECTED_DIR, Spool } from "../../ingest/buffer/spool.js";

const logger = pino({ level: "silent" });
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "spool-test-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const open = (maxBytes = 1 << 20, hooks: { dropped?: number[]; rejected?: number[] } = {}) =>
  Spool.open({
    dir,
    maxBytes,
    logger,
    onDropped: (n) => hooks.dropped?.push(n),
    onRejected: (n) => hooks.rejected?.push(n),
  });

const batch = (tag: string, n: number) =>
  Array.from({ length: n }, (_, i) => `m,tag=${tag} v=${i}i ${1000 + i}`);

async function readAll(spool: Spool): Promise<string[][]> {
  const out: string[][] = [];
  for (const seg of spool.segments()) out.push((await spool.read(seg))!);
  return out;
}

describe("Spool", () => {
  it("appends segments and lists, reads and removes them oldest first", async () => {
    const spool = await open();
    // More than 9 so a lexical sort of unpadded numbers would be caught.
    for (let i = 0; i < 12; i++) await spool.append(batch(`b${i}`, i + 1));
    expect(await readAll(spool)).toEqual(Array.from({ length: 12 }, (_, i) => batch(`b${i}`, i + 1)));
    expect(spool.stats()).toMatchObject({ segments: 12, lines: 78 });

    const [first, second] = spool.segments();
    await spool.remove(first!);
    expect(spool.segments()[0]).toEqual(second);
    expect(spool.stats()).toMatchObject({ segments: 11, lines: 77 });
    expect((await readdir(dir)).filter((f) => f.endsWith(".seg"))).toHaveLength(11);
  });

  it("keeps lines exactly, including a literal newline inside a string field", async () => {
    const spool = await open();
    const lines = ['m s="a\nb" 1', 'm s="quote \\" and \\\\" 2', 'm s="ünïcødé ✓" 3'];
    await spool.append(lines);
    expect(await readAll(spool)).toEqual([lines]);
  });

  it("ignores an empty append", async () => {
    const spool = await open();
    await spool.append([]);
    expect(spool.stats()).toEqual({ segments: 0, lines: 0, bytes: 0 });
  });

  it("survives a re-open with the same segments, stats and order", async () => {
    const spool = await open();
    await spool.append(batch("a", 3));
    await spool.append(batch("b", 5));
    const before = spool.stats();

    const reopened = await open();
    expect(reopened.stats()).toEqual(before);
    expect(reopened.segments()).toEqual(spool.segments());
    // New segments sort after the recovered ones.
    await reopened.append(batch("c", 1));
    expect(await readAll(reopened)).toEqual([batch("a", 3), batch("b", 5), batch("c", 1)]);
  });

  it("ignores and deletes half-written temp files at open", async () => {
    const spool = await open();
    await spool.append(batch("a", 2));
    // What a SIGKILL between write and rename leaves behind.
    await writeFile(join(dir, "000000000002-1700000000000-7.seg.tmp"), '{"v":1,"lines":["m v=1');

    const reopened = await open();
    expect(reopened.stats()).toMatchObject({ segments: 1, lines: 2 });
    expect(await readAll(reopened)).toEqual([batch("a", 2)]);
    expect((await readdir(dir)).some((f) => f.endsWith(".tmp"))).toBe(false);
  });

  it("drops the oldest segments when the bound would be exceeded, and counts them exactly", async () => {
    const probe = await open();
    await probe.append(batch("x", 10));
    const segBytes = probe.stats().bytes;
    await probe.remove(probe.segments()[0]!);

    const dropped: number[] = [];
    // Room for three such segments, not four.
    const spool = await open(segBytes * 3 + segBytes / 2, { dropped });
    for (const tag of ["a", "b", "c"]) await spool.append(batch(tag, 10));
    expect(spool.droppedLines).toBe(0);
    await spool.append(batch("d", 10));
    await spool.append(batch("e", 10));

    expect(spool.droppedLines).toBe(20);
    expect(dropped).toEqual([10, 10]);
    expect(await readAll(spool)).toEqual([batch("c", 10), batch("d", 10), batch("e", 10)]);
    expect(spool.stats().bytes).toBeLessThanOrEqual(segBytes * 3 + segBytes / 2);
  });

  it("keeps only the newest lines of a single batch larger than the whole bound", async () => {
    const spool = await open(2048);
    await spool.append(batch("huge", 500));
    const kept = spool.stats().lines;
    expect(kept).toBeGreaterThan(0);
    expect(kept + spool.droppedLines).toBe(500);
    expect(await readAll(spool)).toEqual([batch("huge", 500).slice(500 - kept)]);
  });

  it("moves a corrupt segment to rejected/, counts it and goes on", async () => {
    const rejected: number[] = [];
    const spool = await open(1 << 20, { rejected });
    await spool.append(batch("a", 4));
    await spool.append(batch("b", 2));
    const [bad] = spool.segments();
    await writeFile(join(dir, bad!.name), '{"v":1,"lines":["truncat');

    expect(await spool.read(bad!)).toBeUndefined();
    expect(spool.rejectedLines).toBe(4);
    expect(rejected).toEqual([4]);
    expect(await readdir(join(dir, REJECTED_DIR))).toEqual([bad!.name]);
    expect(await readAll(spool)).toEqual([batch("b", 2)]);
  });

  it("rejects a segment whose line count disagrees with its name", async () => {
    const spool = await open();
    await spool.append(batch("a", 3));
    const [seg] = spool.segments();
    await writeFile(join(dir, seg!.name), JSON.stringify({ v: 1, lines: batch("a", 2) }));
    expect(await spool.read(seg!)).toBeUndefined();
    expect(spool.stats().segments).toBe(0);
    expect(spool.rejectedLines).toBe(3);
  });

  it("does not reuse the name of a segment kept in rejected/", async () => {
    const spool = await open();
    await spool.append(batch("a", 1));
    const [seg] = spool.segments();
    await spool.reject(seg!, "test");
    const reopened = await open();
    await reopened.append(batch("b", 1));
    expect(reopened.segments()[0]!.name > seg!.name).toBe(true);
    expect(await readdir(join(dir, REJECTED_DIR))).toEqual([seg!.name]);
  });

  it("keeps every acknowledged batch intact when the writer is SIGKILLed mid-stream", async () => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(import.meta.dirname, "spool-sigkill-child.ts"), dir],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    onTestFinished(() => void child.kill("SIGKILL"));
    const exited = new Promise((resolve) => child.once("exit", resolve));
    let acked = -1;
    await new Promise<void>((resolve, reject) => {
      child.once("error", reject);
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        for (const n of chunk.split("\n").filter(Boolean)) acked = Math.max(acked, Number(n));
        if (acked >= 30) resolve();
      });
      child.once("exit", () => reject(new Error(`child exited early after batch ${acked}`)));
    });
    child.kill("SIGKILL");
    await exited;

    const spool = await open();
    const stored = await readAll(spool);
    // Every batch the child was told about is there, whole; at most the one in flight beyond.
    expect(stored.length).toBeGreaterThanOrEqual(acked + 1);
    expect(stored.length).toBeLessThanOrEqual(acked + 2);
    stored.forEach((lines, b) =>
      expect(lines).toEqual(Array.from({ length: 100 }, (_, i) => `kill,batch=${b} v=${i}i ${b * 1000 + i}`)),
    );
    expect(spool.rejectedLines).toBe(0);
    expect((await readdir(dir)).some((f) => f.endsWith(".tmp"))).toBe(false);
  }, 30_000);
});

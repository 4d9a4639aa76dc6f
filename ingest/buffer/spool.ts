// Write-ahead spool: every batch of line protocol becomes one segment file,
// made durable (temp file, fsync, rename, fsync of the directory) before
// anyone tries to send it, so neither an InfluxDB outage nor a SIGKILL loses
// it. Segments are drained oldest first and removed once acknowledged.
import { mkdir, open, readdir, readFile, rename, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { StageLogger } from "../../shared/log.js";

export interface Segment {
  /** File name; sorts in creation order. */
  readonly name: string;
  readonly lines: number;
  readonly bytes: number;
}

export interface SpoolStats {
  segments: number;
  lines: number;
  bytes: number;
}

export interface SpoolOptions {
  dir: string;
  maxBytes: number;
  logger: StageLogger;
  /** Called when the bound forces points out (oldest first). */
  onDropped?: (lines: number) => void;
  /** Called when a segment is moved to rejected/ (corrupt, or refused by InfluxDB). */
  onRejected?: (lines: number) => void;
}

// `<sequence>-<created ms>-<line count>.seg`: the sequence makes the order
// total within a spool, the line count lets open() rebuild the stats without
// reading every segment back.
const SEGMENT_RE = /^(\d{12})-(\d{13})-(\d+)\.seg$/;
const TMP_SUFFIX = ".tmp";
export const REJECTED_DIR = "rejected";

interface SegmentFile {
  v: 1;
  lines: string[];
}

function encode(lines: readonly string[]): Buffer {
  // JSON rather than newline-separated text: a line-protocol string field may
  // hold a literal newline, and a truncated JSON document is detectably corrupt.
  return Buffer.from(JSON.stringify({ v: 1, lines: [...lines] } satisfies SegmentFile));
}

function decode(data: Buffer, expectedLines: number): string[] | undefined {
  try {
    const parsed = JSON.parse(data.toString("utf8")) as Partial<SegmentFile>;
    const lines = parsed.lines;
    if (parsed.v !== 1 || !Array.isArray(lines) || lines.length !== expectedLines) return undefined;
    return lines.every((l) => typeof l === "string") ? lines : undefined;
  } catch {
    return undefined;
  }
}

async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export class Spool {
  private readonly segs = new Map<string, Segment>();
  private totals: SpoolStats = { segments: 0, lines: 0, bytes: 0 };
  private seq = 0;
  private droppedCount = 0;
  private rejectedCount = 0;
  /** Serializes mutations so the bound check and the sequence stay consistent. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly opts: SpoolOptions) {}

  /** Opens (creating if needed) the spool directory and recovers its segments. */
  static async open(opts: SpoolOptions): Promise<Spool> {
    const spool = new Spool(opts);
    await spool.recover();
    return spool;
  }

  get dir(): string {
    return this.opts.dir;
  }

  /** Points dropped by the bound since this spool was opened. */
  get droppedLines(): number {
    return this.droppedCount;
  }

  /** Points moved to rejected/ since this spool was opened. */
  get rejectedLines(): number {
    return this.rejectedCount;
  }

  stats(): SpoolStats {
    return { ...this.totals };
  }

  /** Segments oldest first (a snapshot). */
  segments(): Segment[] {
    return [...this.segs.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Durably stores `lines` as one new segment; resolves once it is on disk. */
  append(lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return Promise.resolve();
    return this.serialized(() => this.doAppend(lines));
  }

  /**
   * The lines of `segment`, or undefined when it is unreadable or corrupt:
   * it is then moved to rejected/ and counted, so it cannot block the spool.
   */
  async read(segment: Segment): Promise<string[] | undefined> {
    let data: Buffer;
    try {
      data = await readFile(join(this.dir, segment.name));
    } catch (err) {
      // Dropped by the bound meanwhile: nothing to read, nothing to reject.
      if ((err as NodeJS.ErrnoException).code === "ENOENT" && !this.segs.has(segment.name)) return undefined;
      await this.reject(segment, `unreadable: ${String(err)}`);
      return undefined;
    }
    const lines = decode(data, segment.lines);
    if (!lines) await this.reject(segment, "corrupt segment");
    return lines;
  }

  /** Deletes an acknowledged segment. */
  remove(segment: Segment): Promise<void> {
    return this.serialized(async () => {
      if (!this.forget(segment.name)) return;
      await unlink(join(this.dir, segment.name)).catch(ignoreMissing);
      await fsyncPath(this.dir);
    });
  }

  /** Moves a segment to rejected/ (kept for inspection), counts and logs it. */
  reject(segment: Segment, reason: string): Promise<void> {
    return this.serialized(async () => {
      if (!this.forget(segment.name)) return;
      await rename(join(this.dir, segment.name), join(this.dir, REJECTED_DIR, segment.name)).catch(
        ignoreMissing,
      );
      await fsyncPath(this.dir);
      this.rejectedCount += segment.lines;
      this.opts.onRejected?.(segment.lines);
      this.opts.logger.error(
        { segment: segment.name, lines: segment.lines, reason, dir: join(this.dir, REJECTED_DIR) },
        "spool segment rejected",
      );
    });
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private forget(name: string): boolean {
    const seg = this.segs.get(name);
    if (!seg) return false;
    this.segs.delete(name);
    this.totals.segments -= 1;
    this.totals.lines -= seg.lines;
    this.totals.bytes -= seg.bytes;
    return true;
  }

  private track(seg: Segment): void {
    this.segs.set(seg.name, seg);
    this.totals.segments += 1;
    this.totals.lines += seg.lines;
    this.totals.bytes += seg.bytes;
  }

  private async doAppend(input: readonly string[]): Promise<void> {
    let lines = input;
    let body = encode(lines);
    if (body.length > this.opts.maxBytes) {
      // A single batch larger than the whole bound: keep its newest lines.
      let keep = lines.length;
      while (keep > 0 && encode(lines.slice(lines.length - keep)).length > this.opts.maxBytes)
        keep = Math.floor(keep / 2);
      this.dropped(lines.length - keep, 0, "batch larger than the spool bound");
      lines = lines.slice(lines.length - keep);
      if (lines.length === 0) return;
      body = encode(lines);
    }
    await this.makeRoom(body.length);

    this.seq += 1;
    const name = `${String(this.seq).padStart(12, "0")}-${String(Date.now()).padStart(13, "0")}-${lines.length}.seg`;
    const tmp = join(this.dir, name + TMP_SUFFIX);
    const handle = await open(tmp, "w");
    try {
      await handle.writeFile(body);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, join(this.dir, name));
    await fsyncPath(this.dir);
    this.track({ name, lines: lines.length, bytes: body.length });
  }

  /** Drops the oldest segments until `incoming` more bytes fit the bound. */
  private async makeRoom(incoming: number): Promise<void> {
    let lines = 0;
    let segments = 0;
    for (const seg of this.segments()) {
      if (this.totals.bytes + incoming <= this.opts.maxBytes) break;
      this.forget(seg.name);
      await unlink(join(this.dir, seg.name)).catch(ignoreMissing);
      lines += seg.lines;
      segments += 1;
    }
    if (segments > 0) {
      await fsyncPath(this.dir);
      this.dropped(lines, segments, "spool bound reached");
    }
  }

  private dropped(lines: number, segments: number, reason: string): void {
    if (lines === 0) return;
    this.droppedCount += lines;
    this.opts.onDropped?.(lines);
    this.opts.logger.warn(
      { droppedLines: lines, droppedSegments: segments, maxBytes: this.opts.maxBytes, reason },
      "spool full: oldest points dropped",
    );
  }

  private async recover(): Promise<void> {
    await mkdir(join(this.dir, REJECTED_DIR), { recursive: true });
    for (const entry of await readdir(this.dir, { withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const path = join(this.dir, entry.name);
      if (entry.name.endsWith(TMP_SUFFIX)) {
        // A write that never reached its rename: it was never acknowledged to
        // the caller, so deleting it loses nothing that was promised.
        await unlink(path).catch(ignoreMissing);
        continue;
      }
      const m = SEGMENT_RE.exec(entry.name);
      if (!m) continue; // not ours: leave it alone
      this.seq = Math.max(this.seq, Number(m[1]));
      this.track({ name: entry.name, lines: Number(m[3]), bytes: (await stat(path)).size });
    }
    // Continue the sequence past rejected segments too, so a new segment can
    // never be renamed over one kept there for inspection.
    for (const name of await readdir(join(this.dir, REJECTED_DIR))) {
      const m = SEGMENT_RE.exec(name);
      if (m) this.seq = Math.max(this.seq, Number(m[1]));
    }
    await fsyncPath(this.dir);
    if (this.totals.segments > 0)
      this.opts.logger.info({ dir: this.dir, ...this.totals }, "spool recovered pending segments");
  }
}

function ignoreMissing(err: unknown): void {
  if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
}

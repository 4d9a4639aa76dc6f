// A local copy of the watermarks, saved after each cycle's points are spooled.
// InfluxDB is the source of truth on restart; this file covers the cases it
// cannot: InfluxDB down at start-up, and points still waiting in the spool.
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { WatermarkEntry, Watermarks } from "../transforms/watermark.js";

/** Version 2 adds each history series' open slots (`gaps`); version 1 files still load. */
interface CheckpointFile {
  version: 1 | 2;
  watermarks: WatermarkEntry[];
}

export class Checkpoint {
  readonly path: string;

  constructor(dir: string) {
    this.path = join(dir, "watermarks.json");
  }

  /** Raises `marks` to what the file holds; a missing file is a first start, a corrupt one is logged by the caller. */
  async loadInto(marks: Watermarks): Promise<number> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return 0;
      throw err;
    }
    const file = JSON.parse(text) as CheckpointFile;
    if ((file.version !== 1 && file.version !== 2) || !Array.isArray(file.watermarks))
      throw new Error(`${this.path}: unknown format`);
    for (const w of file.watermarks) {
      if (typeof w.device === "string" && typeof w.metric === "string" && Number.isFinite(w.timeUs)) {
        const gaps = Array.isArray(w.gaps) ? w.gaps.filter((t) => Number.isFinite(t)) : [];
        marks.restore({ device: w.device, metric: w.metric, timeUs: w.timeUs, gaps });
      }
    }
    return file.watermarks.length;
  }

  async save(marks: Watermarks): Promise<void> {
    const file: CheckpointFile = { version: 2, watermarks: marks.entries() };
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp`;
    await writeFile(tmp, JSON.stringify(file));
    await rename(tmp, this.path);
  }
}

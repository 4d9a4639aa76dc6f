// Every relative link of every Markdown file in the repository points at
// something that exists: a file or folder inside the repository and, for
// `#anchors` into Markdown files, a heading (GitHub's slug rules). External
// links (http:, https:, mailto:) are not fetched.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { describe, expect, it } from "vitest";

const repo = resolve(import.meta.dirname, "..", "..");
/** Never ours, or not committed: dependencies, git, build output, local state. */
const SKIP_DIRS = new Set(["node_modules", ".git", "dist", ".local", "coverage"]);

function markdownFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) out.push(...markdownFiles(join(dir, entry.name)));
    } else if (entry.name.toLowerCase().endsWith(".md")) out.push(join(dir, entry.name));
  }
  return out.sort();
}

/** The lines of a Markdown file outside fenced code blocks (links in code are not links). */
function proseLines(markdown: string): string[] {
  const lines: string[] = [];
  let fence: string | undefined;
  for (const line of markdown.split("\n")) {
    const m = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (m) {
      if (fence === undefined) fence = m[1]![0]!.repeat(m[1]!.length);
      else if (m[1]!.startsWith(fence)) fence = undefined;
      lines.push("");
      continue;
    }
    lines.push(fence === undefined ? line : "");
  }
  return lines;
}

/** Inline code spans removed, so `[a](b)` written as code is not taken for a link. */
const withoutCodeSpans = (line: string) => line.replace(/(`+)(?:(?!\1).)+?\1/g, "");

/** Link targets: inline `[text](target)`, images, and reference definitions `[id]: target`. */
function linkTargets(markdown: string): { line: number; target: string }[] {
  const out: { line: number; target: string }[] = [];
  proseLines(markdown).forEach((raw, i) => {
    const line = withoutCodeSpans(raw);
    for (const m of line.matchAll(/\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+"[^"]*")?\s*\)/g))
      out.push({ line: i + 1, target: m[1]!.replace(/^<|>$/g, "") });
    const def = /^\s{0,3}\[[^\]]+\]:\s*(\S+)/.exec(line);
    if (def) out.push({ line: i + 1, target: def[1]! });
  });
  return out;
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1") // links and images: their text
    .replace(/<[^>]+>/g, "") // inline HTML tags
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "").replace(/ /g, "-");
}

/** Every anchor a Markdown file offers: its headings' slugs (repeats get -1, -2...) and HTML ids. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(markdown)) {
    const h = /^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line);
    if (h) {
      const slug = githubSlug(h[1]!);
      const n = seen.get(slug) ?? 0;
      seen.set(slug, n + 1);
      anchors.add(n === 0 ? slug : `${slug}-${n}`);
    }
    for (const m of line.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) anchors.add(m[1]!);
  }
  return anchors;
}

const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target);

/** What is wrong with one link of `file`, or undefined when it resolves. */
function checkLink(file: string, target: string, anchorCache: Map<string, Set<string>>): string | undefined {
  if (isExternal(target)) return undefined;
  const hash = target.indexOf("#");
  const pathPart = decodeURIComponent((hash < 0 ? target : target.slice(0, hash)).replace(/\?.*$/, ""));
  const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
  // A leading slash is the repository root, as on GitHub.
  const path =
    pathPart === ""
      ? file
      : pathPart.startsWith("/")
        ? join(repo, pathPart)
        : resolve(dirname(file), pathPart);
  if (path !== repo && !path.startsWith(repo + sep)) return "points outside the repository";
  if (!existsSync(path)) return "no such file or folder";
  if (anchor === undefined || anchor === "" || !path.toLowerCase().endsWith(".md")) return undefined;
  if (/^L\d+(-L\d+)?$/.test(anchor)) return undefined; // a line of a file
  if (statSync(path).isDirectory()) return undefined;
  let anchors = anchorCache.get(path);
  if (!anchors) anchorCache.set(path, (anchors = anchorsOf(readFileSync(path, "utf8"))));
  return anchors.has(anchor) ? undefined : `no heading with anchor #${anchor}`;
}

describe("Markdown links", () => {
  const files = markdownFiles(repo);

  it("finds the repository's Markdown files, the front door and the topic docs among them", () => {
    const names = files.map((f) => relative(repo, f).split(sep).join("/"));
    for (const expected of [
      "README.md",
      "docs/configuration.md",
      "docs/development.md",
      "docs/deployment.md",
      "api/README.md",
      "ingest/README.md",
      "ingest/notify/README.md",
      "simulator/README.md",
      "bench/README.md",
    ])
      expect(names).toContain(expected);
  });

  it("every relative link points at a file, folder or heading that exists", () => {
    const anchorCache = new Map<string, Set<string>>();
    const broken: string[] = [];
    let checked = 0;
    for (const file of files) {
      for (const { line, target } of linkTargets(readFileSync(file, "utf8"))) {
        if (isExternal(target)) continue;
        checked++;
        const problem = checkLink(file, target, anchorCache);
        if (problem) broken.push(`${relative(repo, file)}:${line}: ${target}: ${problem}`);
      }
    }
    expect(broken).toEqual([]);
    expect(checked).toBeGreaterThan(50);
  });

  it("no Markdown file is a stub that only points elsewhere (at least 10 non-blank lines)", () => {
    const stubs = files
      .map((f) => ({
        f,
        lines: readFileSync(f, "utf8")
          .split("\n")
          .filter((l) => l.trim() !== "").length,
      }))
      .filter(({ lines }) => lines < 10)
      .map(({ f, lines }) => `${relative(repo, f)}: ${lines} lines`);
    expect(stubs).toEqual([]);
  });

  it("the README stays a front door: the architecture first, set-up next, under 200 lines", () => {
    const readme = readFileSync(join(repo, "README.md"), "utf8");
    const headings = [...readme.matchAll(/^## (.*)$/gm)].map((m) => m[1]);
    expect(headings.slice(0, 3)).toEqual(["Architecture", "Run the stack", "Run the tests"]);
    expect(readme.split("\n").length).toBeLessThan(200);
  });

  it("reads links the way GitHub does", () => {
    const md = [
      'See [a](docs/a.md#set-up), ![img](x.png), [t](<b c.md> "title") and `[code](not-a-link.md)`.',
      "```",
      "[fenced](not-a-link-either.md)",
      "```",
      "[ref]: ./ref.md",
    ].join("\n");
    expect(linkTargets(md).map((l) => l.target)).toEqual(["docs/a.md#set-up", "x.png", "b c.md", "./ref.md"]);
    expect(githubSlug("Native stack (`npm run stack`)")).toBe("native-stack-npm-run-stack");
    expect(githubSlug("Downsampled history (rollup)")).toBe("downsampled-history-rollup");
    expect(githubSlug("Benchmark results (full) — 2026-11-27T01:21:31.670Z")).toBe(
      "benchmark-results-full--2026-11-27t012131670z",
    );
    expect(githubSlug("Keys, `x-api-key` and INGEST_BATCH_SIZE")).toBe(
      "keys-x-api-key-and-ingest_batch_size",
    );
    expect([...anchorsOf("# Tests\n## Tests\n```\n# not a heading\n```\n")]).toEqual(["tests", "tests-1"]);
  });
});

// GET /docs and its assets: the Swagger UI page, with its script and style
// served by the API itself from the swagger-ui-dist package, so the page works
// where there is no internet (edge deployments often have none) and loads
// nothing from a third party.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createRoute, z } from "@hono/zod-openapi";
import { swaggerUI } from "@hono/swagger-ui";
import type { MiddlewareHandler } from "hono";
import type { ApiContext } from "../context.js";
import { errorBody } from "../schemas.js";
import { newRouter } from "./common.js";

/** @hono/swagger-ui puts `<baseUrl>/swagger-ui-dist/<file>` in the page. */
const ASSETS_BASE = "/docs/assets";

/** The only files the page loads, and their types. */
const ASSETS = {
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "swagger-ui.css": "text/css; charset=utf-8",
} as const;
type Asset = keyof typeof ASSETS;
const ASSET_NAMES = Object.keys(ASSETS) as [Asset, ...Asset[]];

const distDir = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
const swaggerUiVersion = (
  createRequire(import.meta.url)("swagger-ui-dist/package.json") as { version: string }
).version;

/** Read once, on first request: about 1.9 MB that most processes never serve. */
const cache = new Map<Asset, Promise<Buffer>>();
function asset(name: Asset): Promise<Buffer> {
  let content = cache.get(name);
  if (!content) {
    content = readFile(join(distDir, name));
    // A failed read is retried on the next request rather than cached.
    content.catch(() => cache.delete(name));
    cache.set(name, content);
  }
  return content;
}

const pageRoute = createRoute({
  method: "get",
  path: "/docs",
  tags: ["operations"],
  summary: "Rendered API page (Swagger UI, served with its assets by the API: no internet needed)",
  responses: { 200: { description: "HTML page", content: { "text/html": { schema: z.string() } } } },
});

const assetRoute = createRoute({
  method: "get",
  path: `${ASSETS_BASE}/swagger-ui-dist/{file}`,
  tags: ["operations"],
  summary: `Script and style of the /docs page (swagger-ui-dist ${swaggerUiVersion})`,
  request: {
    params: z.object({
      file: z
        .enum(ASSET_NAMES, { error: `file must be one of ${ASSET_NAMES.join(", ")}` })
        .openapi({ param: { name: "file", in: "path" } }),
    }),
  },
  responses: {
    200: {
      description: "The file",
      content: { "text/javascript": { schema: z.string() }, "text/css": { schema: z.string() } },
    },
    400: {
      description: "Not one of the page's files",
      content: { "application/json": { schema: errorBody } },
    },
  },
});

export function docsRouter() {
  // swaggerUI is a middleware that always answers; run it as the handler.
  const page = swaggerUI({
    url: "/openapi.json",
    baseUrl: ASSETS_BASE,
  }) as unknown as MiddlewareHandler<ApiContext>;
  return newRouter()
    .openapi(pageRoute, async (c) => (await page(c, () => Promise.resolve())) as Response)
    .openapi(assetRoute, async (c) => {
      const file = c.req.valid("param").file;
      const body = await asset(file);
      return c.body(new Uint8Array(body), 200, {
        "Content-Type": ASSETS[file],
        // The file changes only with the package version: a day of caching is safe.
        "Cache-Control": "public, max-age=86400",
      });
    });
}

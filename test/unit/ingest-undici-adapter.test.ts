// The undici adapter's pure parts: how baseURL and url join into an origin
// and a path, and which undici errors become axios's timeout.
import { AxiosHeaders } from "axios";
import { AxiosError, type InternalAxiosRequestConfig } from "../../ingest/source/axios.js";
import { describe, expect, it } from "vitest";
import { targetOf, toAxiosError } from "../../ingest/source/undici-adapter.js";

const config = { timeout: 300, headers: new AxiosHeaders() } as InternalAxiosRequestConfig;
const coded = (code: string) => Object.assign(new Error(code), { code });

describe("undici adapter", () => {
  it("joins the base URL's path prefix and the request path, as axios does", () => {
    expect(targetOf({ baseURL: "http://up:8080/api/", url: "/iot_objects/d%201/history" })).toEqual({
      origin: "http://up:8080",
      path: "/api/iot_objects/d%201/history",
    });
    expect(targetOf({ baseURL: "https://up", url: "iot_objects?x=1" })).toEqual({
      origin: "https://up",
      path: "/iot_objects?x=1",
    });
  });

  it("lets an absolute URL stand alone and refuses other protocols", () => {
    expect(targetOf({ baseURL: "http://up", url: "http://other:81/a" })).toEqual({
      origin: "http://other:81",
      path: "/a",
    });
    expect(() => targetOf({ baseURL: "ftp://up", url: "/a" })).toThrow(/unsupported protocol/);
    expect(() => targetOf({ url: "/relative-without-base" })).toThrow();
  });

  it("turns undici's timeouts into axios's ECONNABORTED and keeps connection error codes", () => {
    for (const code of ["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "UND_ERR_CONNECT_TIMEOUT"]) {
      const err = toAxiosError(coded(code), config);
      expect([err.code, err.message]).toEqual([AxiosError.ECONNABORTED, "timeout of 300ms exceeded"]);
    }
    expect(toAxiosError(coded("ECONNREFUSED"), config).code).toBe("ECONNREFUSED");
    expect(toAxiosError(coded("UND_ERR_SOCKET"), config).code).toBe("UND_ERR_SOCKET");
    const own = new AxiosError("x", AxiosError.ERR_INVALID_URL, config);
    expect(toAxiosError(own, config)).toBe(own);
  });
});

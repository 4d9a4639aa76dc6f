// axios as the source uses it, loaded from its CommonJS bundle: `import "axios"`
// resolves to its ES modules, some seventy files, which left the ingester's
// peak RSS about 4 MB higher at start (the bundle is one file). The source
// imports axios from here only, so every value (AxiosError above all) comes
// from the one copy.
import { createRequire } from "node:module";
import type * as AxiosModule from "axios";

const axios = createRequire(import.meta.url)("axios") as typeof AxiosModule;

export const { Axios, AxiosError, isAxiosError } = axios;
export type Axios = AxiosModule.Axios;
export type AxiosError = AxiosModule.AxiosError;
export type { AxiosAdapter, AxiosResponse, InternalAxiosRequestConfig } from "axios";

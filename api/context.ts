// Hono context types shared by middleware and routes.
import type { Principal } from "./auth/keys.js";
import type { Scope } from "./flux/scope.js";

export interface ApiContext {
  Variables: {
    principal: Principal;
    scope: Scope;
  };
}

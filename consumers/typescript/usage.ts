// A tiny TypeScript consumer of the types openapi-typescript generates from
// openapi.yaml. `make spec-consumers` type-checks it, so a spec change that breaks
// the shapes other teams rely on fails csconnect's build.
import type { components, operations, paths } from "./schema";

type AuthenticateRequest = components["schemas"]["AuthenticateRequest"];
type TokenResponse = components["schemas"]["TokenResponse"];
type ErrorEnvelope = components["schemas"]["ErrorEnvelope"];
type Authenticate = operations["Authenticate"];

export const credentials: AuthenticateRequest = { username: "myUsername", password: "myS3cretP@ssw0rd999!" };

export function bearer(res: TokenResponse): string {
  return `Bearer ${res.token}`;
}

// The documented error responses of POST /authenticate must stay declared.
type AuthStatuses = keyof Authenticate["responses"];
export const documented: AuthStatuses[] = [200, 400, 401, 403, 429, 500];

// 401 arrives as plain text or as {"message"}: both must be in the contract.
type Unauthorized = Authenticate["responses"][401]["content"];
export const deniedText: Unauthorized["text/plain"] = "Access denied - …";
export const deniedJSON: Unauthorized["application/json"] = { message: "Access denied - …" };

export function retryAfter(h: Authenticate["responses"][429]["headers"]): string | undefined {
  return h["Retry-After"];
}

export function describe(e: ErrorEnvelope): string {
  return `${e.error.code ?? "?"} ${e.error.text ?? ""}`;
}

/* The protected call now has its own document (datecheck.yaml).

*/

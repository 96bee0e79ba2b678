// openapi-typescript types + openapi-fetch: one client per document, each at its
// own base URL, the token added by a middleware.
import createClient, { type Middleware } from "openapi-fetch";

import type { components as AuthComponents, operations, paths as AuthPaths } from "../gen/openapi-typescript/openapi";
import type { paths as ServicePaths } from "../gen/openapi-typescript/datecheck";
import {
  check,
  IDENTICAL_INVALID_LIMIT,
  JWT,
  messageOf,
  retryAfterSeconds,
  saysTokenExpired,
  type Sim,
  WRONG_PASSWORD,
} from "./sim";

type Authenticate = operations["Authenticate"];

// Retry-After is optional: a 429 without it must type-check.
export const noRetryAfter: Authenticate["responses"][429]["headers"] = {};
// Both shapes of the 401 are in the types (JSON first, text second).
export const deniedJSON: Authenticate["responses"][401]["content"]["application/json"] = { message: "Access denied - …" };
export const deniedText: Authenticate["responses"][401]["content"]["text/plain"] = "Access denied - …";
// The 400 declares no body.
export const badRequestBody: Authenticate["responses"][400]["content"] = undefined;
// The error envelope has a typed inner object.
export const envelope: AuthComponents["schemas"]["ErrorEnvelope"] = { error: { code: "429", text: "Too many requests" } };
// The protected call's query, in its own document.
export const query: ServicePaths["/datecheck/company"]["get"]["parameters"]["query"] = {
  searchnumber: "5565144408",
  referencedate: "2020-08-29",
  transactionid: "Example",
  language: "sv",
};

export async function flow(sim: Sim): Promise<void> {
  const auth = createClient<AuthPaths>({ baseUrl: sim.authURL });
  const login = (password: string) => auth.POST("/authenticate", { body: { username: sim.username, password } });

  const ok = await login(sim.password);
  check(ok.response.status === 200 && ok.data !== undefined, `openapi-fetch: authenticate: ${ok.response.status}`);
  const token = ok.data.token;
  check(JWT.test(token), "openapi-fetch: token is not a JWT");

  const bearer: Middleware = {
    onRequest({ request }) {
      request.headers.set("Authorization", `Bearer ${token}`);
      return request;
    },
  };
  const service = createClient<ServicePaths>({ baseUrl: sim.serviceURL });
  service.use(bearer);
  const dc = await service.GET("/datecheck/company", { params: { query: { searchnumber: "5565144408" } } });
  check(dc.response.status === 200 && dc.data !== undefined, `openapi-fetch: date check: ${dc.response.status}`);

  for (let i = 0; i < IDENTICAL_INVALID_LIMIT; i++) {
    const denied = await login(WRONG_PASSWORD);
    check(denied.response.status === 401, `openapi-fetch: wrong password: ${denied.response.status}`);
    const msg = messageOf(denied.error);
    check(msg.startsWith("Access denied"), `openapi-fetch: 401 message ${JSON.stringify(msg)}`);
  }
  const limited = await login(WRONG_PASSWORD);
  check(limited.response.status === 429, `openapi-fetch: sixth wrong password: ${limited.response.status}`);
  check(retryAfterSeconds(limited.response.headers.get("Retry-After")) > 0, "openapi-fetch: 429 without Retry-After");

  await sim.control("/_sim/clock", { advance: "61m" });
  const expired = await service.GET("/datecheck/company", { params: { query: { searchnumber: "5565144408" } } });
  check(expired.response.status === 403, `openapi-fetch: expired token: ${expired.response.status}`);
  check(saysTokenExpired(expired.error), `openapi-fetch: 403 does not say Token Expired: ${JSON.stringify(expired.error)}`);
}

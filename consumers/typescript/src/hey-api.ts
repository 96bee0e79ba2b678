// @hey-api/openapi-ts (client-fetch): one generated client per document, each with
// its own base URL (the spec's server by default), the token through `auth`.
import { createClient as createAuthClient, createConfig as authConfig } from "../gen/hey-api/openapi/client";
import { client as defaultAuthClient } from "../gen/hey-api/openapi/client.gen";
import { authenticate } from "../gen/hey-api/openapi/sdk.gen";
import type { AuthenticateRequestWritable, TokenResponse } from "../gen/hey-api/openapi/types.gen";
import { createClient as createServiceClient, createConfig as serviceConfig } from "../gen/hey-api/datecheck/client";
import { client as defaultServiceClient } from "../gen/hey-api/datecheck/client.gen";
import { dateCheckCompany } from "../gen/hey-api/datecheck/sdk.gen";
import type { DateCheckCompanyErrors, ServiceErrorBody } from "../gen/hey-api/datecheck/types.gen";
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

// The generated defaults are the documents' own servers: the service is not under
// the authenticate API's host.
check(defaultAuthClient.getConfig().baseUrl === "https://connect.creditsafe.com/v1", "hey-api: authenticate base URL");
check(defaultServiceClient.getConfig().baseUrl === "https://se-webservice.apps.creditsafe.com", "hey-api: service base URL");

// The error shapes a service 401/403 can have are a union a caller narrows.
export function describe(e: ServiceErrorBody): string {
  if ("correlationId" in e) return `${e.message} (${e.correlationId ?? "?"})`;
  if ("message" in e) return e.message;
  return typeof e.error === "string" ? e.error : (e.error.text ?? "");
}
export const forbidden: DateCheckCompanyErrors[403] = { error: { code: "403", text: "Token Expired" } };

export async function flow(sim: Sim): Promise<void> {
  const auth = createAuthClient(authConfig({ baseUrl: sim.authURL }));
  const login = (password: string) => {
    const body: AuthenticateRequestWritable = { username: sim.username, password };
    return authenticate({ client: auth, body });
  };

  const ok = await login(sim.password);
  check(ok.response.status === 200 && ok.data !== undefined, `hey-api: authenticate: ${ok.response.status}`);
  const token: TokenResponse["token"] = ok.data.token;
  check(JWT.test(token), "hey-api: token is not a JWT");

  const service = createServiceClient(serviceConfig({ baseUrl: sim.serviceURL, auth: () => token }));
  const dc = await dateCheckCompany({ client: service, query: { searchnumber: "5565144408" } });
  check(dc.response.status === 200 && dc.data !== undefined, `hey-api: date check: ${dc.response.status}`);
  check(new URL(dc.response.url).pathname === "/datecheck/company", `hey-api: date check went to ${dc.response.url}`);

  // 401: the simulator alternates text and JSON; both must give the message.
  for (let i = 0; i < IDENTICAL_INVALID_LIMIT; i++) {
    const denied = await login(WRONG_PASSWORD);
    check(denied.response.status === 401, `hey-api: wrong password: ${denied.response.status}`);
    const msg = messageOf(denied.error);
    check(msg.startsWith("Access denied"), `hey-api: 401 message ${JSON.stringify(msg)} (${denied.response.headers.get("content-type")})`);
  }
  const limited = await login(WRONG_PASSWORD);
  check(limited.response.status === 429, `hey-api: sixth wrong password: ${limited.response.status}`);
  check(retryAfterSeconds(limited.response.headers.get("Retry-After")) > 0, "hey-api: 429 without Retry-After");

  await sim.control("/_sim/clock", { advance: "61m" });
  const expired = await dateCheckCompany({ client: service, query: { searchnumber: "5565144408" } });
  check(expired.response.status === 403, `hey-api: expired token: ${expired.response.status}`);
  check(saysTokenExpired(expired.error), `hey-api: 403 does not say Token Expired: ${JSON.stringify(expired.error)}`);
}

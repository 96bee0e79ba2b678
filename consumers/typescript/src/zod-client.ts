// openapi-zod-client (Zodios over axios): one client per document at its own base
// URL; successful bodies are validated with the generated zod schemas, errors
// arrive as AxiosError.
import { isAxiosError } from "axios";

import { createApiClient as createAuthApi, schemas as authSchemas } from "../gen/zod-client/openapi";
import { createApiClient as createServiceApi, schemas as serviceSchemas } from "../gen/zod-client/datecheck";
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

async function failure(p: Promise<unknown>): Promise<{ status: number; data: unknown; retryAfter?: string }> {
  try {
    await p;
  } catch (err) {
    if (isAxiosError(err) && err.response) {
      const ra: unknown = err.response.headers["retry-after"];
      return { status: err.response.status, data: err.response.data, retryAfter: typeof ra === "string" ? ra : undefined };
    }
    throw err;
  }
  return { status: 200, data: undefined };
}

export async function flow(sim: Sim): Promise<void> {
  const auth = createAuthApi(sim.authURL, { axiosConfig: { timeout: 10_000 } });
  const service = createServiceApi(sim.serviceURL, { axiosConfig: { timeout: 10_000 } });
  const login = (password: string) => auth.Authenticate({ username: sim.username, password });

  const ok = await login(sim.password);
  check(JWT.test(ok.token), "zod-client: token is not a JWT");
  const headers = { Authorization: `Bearer ${ok.token}` };
  const dc = await service.DateCheckCompany({ queries: { searchnumber: "5565144408" }, headers });
  check(typeof dc === "object", "zod-client: date check body");

  for (let i = 0; i < IDENTICAL_INVALID_LIMIT; i++) {
    const denied = await failure(login(WRONG_PASSWORD));
    check(denied.status === 401, `zod-client: wrong password: ${denied.status}`);
    const json = authSchemas.MessageError.safeParse(denied.data);
    const msg = json.success ? json.data.message : messageOf(denied.data);
    check(msg.startsWith("Access denied"), `zod-client: 401 message ${JSON.stringify(msg)}`);
  }
  const limited = await failure(login(WRONG_PASSWORD));
  check(limited.status === 429, `zod-client: sixth wrong password: ${limited.status}`);
  check(retryAfterSeconds(limited.retryAfter) > 0, "zod-client: 429 without Retry-After");

  await sim.control("/_sim/clock", { advance: "61m" });
  const expired = await failure(service.DateCheckCompany({ queries: { searchnumber: "5565144408" }, headers }));
  check(expired.status === 403, `zod-client: expired token: ${expired.status}`);
  const body = serviceSchemas.ServiceErrorBody.safeParse(expired.data);
  check(saysTokenExpired(body.success ? body.data : expired.data), `zod-client: 403 does not say Token Expired`);
}

// orval (fetch client): each document's functions call its own server; the flow
// points both servers at the simulator through the fetch wrapper.
import { authenticate, type authenticateResponse } from "../gen/orval/openapi";
import { dateCheckCompany } from "../gen/orval/datecheck";
import { setBaseURL } from "./orval-fetch";
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

// orval keeps both 401 shapes: the message is read from either without a cast.
export function deniedMessage(r: authenticateResponse): string {
  if (r.status !== 401) return "";
  return typeof r.data === "string" ? r.data : r.data.message;
}

export async function flow(sim: Sim): Promise<void> {
  setBaseURL("https://connect.creditsafe.com/v1", sim.authURL);
  setBaseURL("https://se-webservice.apps.creditsafe.com", sim.serviceURL);
  const login = (password: string) => authenticate({ username: sim.username, password });

  const ok = await login(sim.password);
  check(ok.status === 200, `orval: authenticate: ${ok.status}`);
  if (ok.status !== 200) return;
  const token = ok.data.token;
  check(JWT.test(token), "orval: token is not a JWT");

  const init = { headers: { Authorization: `Bearer ${token}` } };
  const dc = await dateCheckCompany({ searchnumber: "5565144408" }, init);
  check(dc.status === 200, `orval: date check: ${dc.status}`);

  for (let i = 0; i < IDENTICAL_INVALID_LIMIT; i++) {
    const denied = await login(WRONG_PASSWORD);
    check(denied.status === 401, `orval: wrong password: ${denied.status}`);
    const msg = deniedMessage(denied);
    check(msg.startsWith("Access denied") && msg === messageOf(denied.data), `orval: 401 message ${JSON.stringify(msg)}`);
  }
  const limited = await login(WRONG_PASSWORD);
  check(limited.status === 429, `orval: sixth wrong password: ${limited.status}`);
  check(retryAfterSeconds(limited.headers.get("Retry-After")) > 0, "orval: 429 without Retry-After");

  await sim.control("/_sim/clock", { advance: "61m" });
  const expired = await dateCheckCompany({ searchnumber: "5565144408" }, init);
  check(expired.status === 403, `orval: expired token: ${expired.status}`);
  check(saysTokenExpired(expired.data), `orval: 403 does not say Token Expired: ${JSON.stringify(expired.data)}`);
}

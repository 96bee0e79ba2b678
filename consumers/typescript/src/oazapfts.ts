// oazapfts: one module per document; each call takes its base URL and headers in
// its options (the module's defaults are the document's server).
import * as authApi from "../gen/oazapfts/openapi";
import * as serviceApi from "../gen/oazapfts/datecheck";
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

check(authApi.defaults.baseUrl === "https://connect.creditsafe.com/v1", "oazapfts: authenticate base URL");
check(serviceApi.defaults.baseUrl === "https://se-webservice.apps.creditsafe.com", "oazapfts: service base URL");

export async function flow(sim: Sim): Promise<void> {
  const login = (password: string) =>
    authApi.authenticate({ username: sim.username, password }, { baseUrl: sim.authURL });

  const ok = await login(sim.password);
  check(ok.status === 200, `oazapfts: authenticate: ${ok.status}`);
  if (ok.status !== 200) return;
  const token = ok.data.token;
  check(JWT.test(token), "oazapfts: token is not a JWT");

  const opts = { baseUrl: sim.serviceURL, headers: { Authorization: `Bearer ${token}` } };
  const dc = await serviceApi.dateCheckCompany("5565144408", {}, opts);
  check(dc.status === 200, `oazapfts: date check: ${dc.status}`);

  for (let i = 0; i < IDENTICAL_INVALID_LIMIT; i++) {
    const denied = await login(WRONG_PASSWORD);
    check(denied.status === 401, `oazapfts: wrong password: ${denied.status}`);
    if (denied.status === 401) {
      const msg = messageOf(denied.data); // typed MessageError; a text body arrives as a string
      check(msg.startsWith("Access denied"), `oazapfts: 401 message ${JSON.stringify(msg)}`);
    }
  }
  const limited = await login(WRONG_PASSWORD);
  check(limited.status === 429, `oazapfts: sixth wrong password: ${limited.status}`);
  check(retryAfterSeconds(limited.headers.get("Retry-After")) > 0, "oazapfts: 429 without Retry-After");

  await sim.control("/_sim/clock", { advance: "61m" });
  const expired = await serviceApi.dateCheckCompany("5565144408", {}, opts);
  check(expired.status === 403, `oazapfts: expired token: ${expired.status}`);
  if (expired.status === 403) {
    check(saysTokenExpired(expired.data), `oazapfts: 403 does not say Token Expired: ${JSON.stringify(expired.data)}`);
  }
}

// A client of Creditsafe's protected service generated from datecheck.yaml by
// openapi-typescript and called with openapi-fetch, pointed at csconnect agent's
// base URL. It has no token code at all: no authenticate call, no Authorization.
// The agent's own errors are typed from the agent's document (openapi.yaml).
//
// usage: node client.js AGENT_URL SIM_URL ok|wrong-password
import createClient from "openapi-fetch";

import type { components as AgentComponents, paths as AgentPaths } from "./gen/agent";
import type { paths as ServicePaths } from "./gen/datecheck";

type Problem = AgentComponents["schemas"]["Problem"];

function check(cond: boolean, msg: string): asserts cond {
  if (!cond) {
    throw new Error(msg);
  }
}

async function main(): Promise<void> {
  const [agentURL, simURL, mode] = process.argv.slice(2);
  const service = createClient<ServicePaths>({ baseUrl: `${agentURL}/se` });
  const agent = createClient<AgentPaths>({ baseUrl: agentURL });
  const dateCheck = () => service.GET("/datecheck/company", { params: { query: { searchnumber: "5565144408" } } });

  if (mode === "ok") {
    const first = await dateCheck();
    check(first.response.status === 200 && first.data !== undefined, `date check: ${first.response.status}`);
    // The simulator's clock moves past the token's hour: its next answer to that
    // token is 403 Token Expired, which the agent renews and replays.
    const moved = await fetch(`${simURL}/_sim/clock`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ advance: "61m" }),
    });
    check(moved.status === 200, `moving the simulator's clock: ${moved.status}`);
    const after = await dateCheck();
    check(after.response.status === 200 && after.data !== undefined, `date check after expiry: ${after.response.status}`);
    const ready = await agent.GET("/_agent/readyz");
    check(ready.response.status === 200 && ready.data?.status === "ready", `readyz: ${ready.response.status}`);
    console.log("typescript client: ok");
    return;
  }

  for (let i = 0; i < 5; i++) {
    const r = await dateCheck();
    check(r.response.status === 502, `wrong password, call ${i}: ${r.response.status}`);
    check(r.response.headers.get("Content-Type") === "application/problem+json", "not problem+json");
    const p = r.error as unknown as Problem;
    check(p.code === "invalid_credentials" && p.status === 502, `problem ${JSON.stringify(p)}`);
  }
  const ready = await agent.GET("/_agent/readyz");
  check(ready.response.status === 503 && ready.error?.code === "invalid_credentials", `readyz: ${ready.response.status}`);
  console.log("typescript client: wrong password refused");
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});

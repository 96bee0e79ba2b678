// Runs each generated client's flow against `csconnect sim` on a free loopback port:
// authenticate, call the protected service at its own base URL, read a 401's message
// (as text and as JSON), read a 429's Retry-After, and get a 403 Token Expired after
// moving the simulator's clock. Usage: node out/src/run-flows.js path/to/csconnect
import { spawn } from "node:child_process";
import { createServer } from "node:net";

import type { Sim } from "./sim";
import * as heyApi from "./hey-api";
import * as openapiFetch from "./openapi-fetch";
import * as oazapfts from "./oazapfts";
import * as orval from "./orval";
import * as zodClient from "./zod-client";

const flows: Record<string, (sim: Sim) => Promise<void>> = {
  "hey-api": heyApi.flow,
  "openapi-fetch": openapiFetch.flow,
  oazapfts: oazapfts.flow,
  orval: orval.flow,
  "openapi-zod-client": zodClient.flow,
};

const USERNAME = "consumer-key";
const PASSWORD = "consumer-pw";
const TIMEOUT_MS = 10_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === "object" ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

async function waitUp(root: string, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited()) throw new Error("csconnect sim exited before listening");
    try {
      const res = await fetch(`${root}/_sim/stats`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error("csconnect sim not listening after 30 s");
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main(): Promise<number> {
  const bin = process.argv[2];
  if (!bin) {
    console.error("usage: node run-flows.js path/to/csconnect");
    return 2;
  }
  const port = await freePort();
  const root = `http://127.0.0.1:${port}`;
  const child = spawn(bin, ["sim", "--addr", `127.0.0.1:${port}`, "--unauthorized", "alternate"], {
    env: { ...process.env, CREDITSAFE_USERNAME: USERNAME, CREDITSAFE_PASSWORD: PASSWORD },
    stdio: ["ignore", "ignore", "inherit"],
  });
  let exited = false;
  child.once("exit", () => (exited = true));
  const watchdog = setTimeout(() => {
    console.error("flows: still running after 120 s; stopping");
    child.kill("SIGKILL");
    process.exit(1);
  }, 120_000);
  watchdog.unref();
  let passed = 0;
  let failed = 0;
  try {
    await waitUp(root, () => exited);
    const control = async (path: string, body?: unknown) => {
      const res = await fetch(root + path, {
        method: "POST",
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      if (!res.ok) throw new Error(`POST ${path}: ${res.status}`);
    };
    const sim: Sim = { authURL: `${root}/v1`, serviceURL: root, username: USERNAME, password: PASSWORD, control };
    for (const [name, flow] of Object.entries(flows)) {
      await control("/_sim/reset");
      try {
        await flow(sim);
        passed++;
        console.log(`flow ${name}: ok`);
      } catch (err) {
        failed++;
        console.log(`flow ${name}: FAILED: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  } finally {
    child.kill("SIGTERM");
  }
  console.log(`flows: ${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`flows: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);

// What every flow gets: where the simulator's two hosts are, the credentials it
// accepts, and its control API (not part of the contract, so called with plain fetch).

export interface Sim {
  /** Base URL of the authenticate API (openapi.yaml's server), e.g. http://127.0.0.1:PORT/v1. */
  authURL: string;
  /** Base URL of the protected service (datecheck.yaml's server): the root, not under /v1. */
  serviceURL: string;
  username: string;
  password: string;
  /** POST a control request to the simulator (/_sim/reset, /_sim/clock, ...). */
  control(path: string, body?: unknown): Promise<void>;
}

export class FlowError extends Error {}

export function check(cond: boolean, what: string): asserts cond {
  if (!cond) throw new FlowError(what);
}

/**
 * The message of an error body that the spec documents as JSON {message} first and
 * plain text second: generated clients type it as the JSON shape, but a text body
 * reaches the caller as a string. Both are read here, as a client must.
 */
export function messageOf(body: unknown): string {
  if (typeof body === "string") return body;
  if (body !== null && typeof body === "object" && "message" in body && typeof body.message === "string") {
    return body.message;
  }
  return "";
}

/** Whether a 403 body says the token expired (text "Token Expired" or the envelope's text). */
export function saysTokenExpired(body: unknown): boolean {
  if (typeof body === "string") return body.startsWith("Token Expired");
  if (body !== null && typeof body === "object" && "error" in body) {
    const e = body.error;
    return e !== null && typeof e === "object" && "text" in e && e.text === "Token Expired";
  }
  return false;
}

/** The number of seconds in a Retry-After given as seconds (the simulator's form). */
export function retryAfterSeconds(v: string | null | undefined): number {
  return v ? Number.parseInt(v, 10) : Number.NaN;
}

export const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** The wrong password each flow sends: 401, then 429 after the fifth identical one. */
export const WRONG_PASSWORD = "not-the-password";

/** The vendor's limit: 5 identical invalid requests are answered 401, the sixth 429. */
export const IDENTICAL_INVALID_LIMIT = 5;

// The fetch orval's generated functions call (its `mutator`). It sends the request
// to the base URL configured for the document's server, and reads the body by its
// Content-Type, so a text/plain 401 or 403 is a string rather than a SyntaxError.

const bases = new Map<string, string>();

/** Send requests meant for a spec server (such as https://connect.creditsafe.com/v1) to base instead. */
export function setBaseURL(specServer: string, base: string): void {
  bases.set(specServer, base);
}

function rebase(url: string): string {
  for (const [from, to] of bases) {
    if (url === from || url.startsWith(from + "/") || url.startsWith(from + "?")) return to + url.slice(from.length);
  }
  return url;
}

export async function orvalFetch<T>(url: string, init: RequestInit): Promise<T> {
  const res = await fetch(rebase(url), { ...init, signal: init.signal ?? AbortSignal.timeout(10_000) });
  const text = [204, 205, 304].includes(res.status) ? "" : await res.text();
  const type = res.headers.get("content-type") ?? "";
  let data: unknown = text === "" ? undefined : text;
  if (text !== "" && type.includes("json")) data = JSON.parse(text);
  return { data, status: res.status, headers: res.headers } as T;
}

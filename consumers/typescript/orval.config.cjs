// orval: the fetch client for each document, with the document's own server as its
// base URL and a small fetch wrapper (src/orval-fetch.ts) that reads a body by its
// Content-Type: orval's default parses every body as JSON, which throws on the
// plain-text 401 and 403 the spec documents.
const path = require("node:path");

const project = (doc) => ({
  input: { target: path.resolve(__dirname, "../../gen/openapi", `${doc}.yaml`) },
  output: {
    target: path.resolve(__dirname, "gen/orval", `${doc}.ts`),
    client: "fetch",
    mode: "single",
    baseUrl: { getBaseUrlFromSpecification: true },
    override: { mutator: { path: path.resolve(__dirname, "src/orval-fetch.ts"), name: "orvalFetch" } },
  },
});

module.exports = { authenticate: project("openapi"), datecheck: project("datecheck") };

# Generated TypeScript clients as a CI check (issue 12): see consumers/typescript.

.PHONY: spec-consumers
spec-consumers: deps-npm ## Generate TypeScript types from the bundled spec and type-check a usage file with tsc.
	$(NPX)/openapi-typescript gen/openapi/openapi.yaml --output consumers/typescript/schema.d.ts
	$(NPX)/tsc -p consumers/typescript/tsconfig.json

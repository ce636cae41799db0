// Generates the web UI's types for the HTTP API (web/src/generated/openapi.ts) from its contract,
// docs/openapi.yaml, with openapi-typescript. `npm run generate:api-types` writes the file;
// test/server/api-types.test.ts fails when the checked-in file is not what this generates.
//
// openapi-typescript 6, not 7: version 7 builds its output with the TypeScript compiler's JS API,
// which TypeScript 7 (this project's compiler) does not have, and it declares a peer dependency on
// TypeScript 5 that npm cannot satisfy beside ours. Version 6 writes strings, needs no compiler and
// handles everything the contract uses (OpenAPI 3.1, $refs, enums, additionalProperties).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import openapiTS from 'openapi-typescript';

export const SPEC = new URL('../docs/openapi.yaml', import.meta.url);
export const OUTPUT = new URL('../web/src/generated/openapi.ts', import.meta.url);
export const COMMAND = 'npm run generate:api-types';

const HEADER = `// GENERATED from docs/openapi.yaml by openapi-typescript (scripts/generate-api-types.ts).
// Do not edit: change docs/openapi.yaml, then run \`${COMMAND}\`.

`;

export async function generateApiTypes(): Promise<string> {
  return openapiTS(SPEC, { commentHeader: HEADER, silent: true });
}

if (import.meta.main) {
  writeFileSync(OUTPUT, await generateApiTypes());
  console.log(`wrote ${fileURLToPath(OUTPUT)}`);
}

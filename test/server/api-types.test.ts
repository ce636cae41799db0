// The web UI's API types are generated from docs/openapi.yaml and checked in: when the contract
// changes, this fails until they are generated again, so the UI never compiles against a stale copy.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';
import { COMMAND, generateApiTypes, OUTPUT } from '../../scripts/generate-api-types.ts';

it('web/src/generated/openapi.ts is what docs/openapi.yaml generates', async () => {
  const expected = await generateApiTypes();
  let actual = '';
  try {
    actual = readFileSync(OUTPUT, 'utf8');
  } catch {
    // missing: reported below like a stale file
  }
  if (actual === expected) return;
  const a = actual.split('\n');
  const e = expected.split('\n');
  let line = 0;
  while (line < Math.max(a.length, e.length) && a[line] === e[line]) line++;
  assert.fail(
    `${fileURLToPath(OUTPUT)} is stale (docs/openapi.yaml changed): run \`${COMMAND}\` and commit the result.\n` +
      `first difference at line ${line + 1}:\n  checked in: ${JSON.stringify(a[line] ?? '(end of file)')}\n  generated:  ${JSON.stringify(e[line] ?? '(end of file)')}`,
  );
});

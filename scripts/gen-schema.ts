/**
 * Writes schema/topology.schema.json from the zod schema the validator uses.
 * `--check` writes nothing and exits 1 when the file is stale (for CI).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { topologyJsonSchemaText } from '../src/topology/index.ts';

const target = fileURLToPath(new URL('../schema/topology.schema.json', import.meta.url));
const text = topologyJsonSchemaText();

if (process.argv.includes('--check')) {
  const current = await readFile(target, 'utf8').catch(() => '');
  if (current !== text) {
    process.stderr.write(`${target} is stale; run npm run gen:schema\n`);
    process.exitCode = 1;
  }
} else {
  await writeFile(target, text);
  process.stdout.write(`wrote ${target}\n`);
}

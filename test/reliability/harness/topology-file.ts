/** A scenario's topology, written to a file of its own for the `sluice run` processes to read. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function topologyFile(lines: readonly string[]): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'sluice-topology-')), 'topology.yaml');
  await writeFile(file, [...lines, ''].join('\n'));
  return file;
}

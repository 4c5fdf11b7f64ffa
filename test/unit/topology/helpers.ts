/** Topology files written to a fresh temporary folder, for tests of bad input. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { validateTopologyFile, type LoadOptions, type Problem, type ValidationResult } from '../../../src/topology/index.ts';

/** Where user modules written by tests import defineProcessor from (temp folders cannot resolve `sluice`). */
export const processorsUrl = pathToFileURL(path.resolve('src/processors/index.ts')).href;

export const userSchema = JSON.stringify({
  type: 'record',
  name: 'User',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'age', type: 'int' },
    { name: 'city', type: 'string' },
  ],
});

export class Workspace {
  private constructor(readonly dir: string) {}

  static async create(): Promise<Workspace> {
    return new Workspace(await mkdtemp(path.join(tmpdir(), 'sluice-topology-')));
  }

  async write(name: string, text: string): Promise<string> {
    const file = path.join(this.dir, name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
    return file;
  }

  async validate(text: string, options: LoadOptions = {}, name = 'topology.yaml'): Promise<ValidationResult> {
    return validateTopologyFile(await this.write(name, text), { env: {}, ...options });
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** `code line:col message` per problem: compact to assert on and readable when a test fails. */
export function summary(problems: readonly Problem[]): string[] {
  return problems.map((p) => `${p.code} ${p.line}:${p.column} ${p.message}${p.hint ? ` (${p.hint})` : ''}`);
}

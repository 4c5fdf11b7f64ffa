/**
 * `sluice run` on the embedded transport shows its dead letters, which would
 * otherwise end with the process: the summary names each dead-letter topic
 * with its count and file and shows the first few with code, stage, origin
 * and message; the file (`<topology dir>/out/<topic>.ndjson`, or under
 * `--dead-letters DIR`) holds every one with its original bytes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/core/index.ts';
import { writeTopology } from '../../integration/runtime/examples.ts';
import { runCli, silenceLogs } from './cli-harness.ts';

/** 10 lines: 3 are not JSON (lines 2, 5, 9), 4 have a negative n the processor refuses (lines 3, 4, 7, 10). */
const LINES = ['{"n":1}', '{"n":', '{"n":-1}', '{"n":-2}', 'not json', '{"n":2}', '{"n":-3}', '{"n":3}', '[', '{"n":-4}'];
const NOT_JSON = [2, 5, 9];
const REFUSED = [3, 4, 7, 10];

function topology(lines: string[]): string {
  return writeTopology({
    'in.ndjson': lines.join('\n') + '\n',
    'processors/check.ts': `import { defineProcessor } from 'sluice';
export default defineProcessor<{ n: number }>((v) => {
  if (v.n < 0) throw new Error(\`n is negative: \${v.n}\`);
  return v;
});`,
    'topology.yaml': `
name: dl
nodes:
  check:
    source: { file: ./in.ndjson }
    process:
      - map: { module: ./processors/check.ts }
    sink: { file: ./out/good.ndjson }
    dead-letter: dl.rejects
`,
  });
}

interface Line {
  stage: string;
  code: string;
  message: string;
  original: { file?: string; line?: number };
  value: string;
  valueEncoding: string;
}

silenceLogs();

describe('sluice run: dead letters on the embedded transport', () => {
  it('writes every dead letter to <topology dir>/out/<topic>.ndjson and shows the first five in the summary', async () => {
    const file = topology(LINES);
    const dir = join(file, '..');
    const { code, stderr } = await runCli('run', file);
    expect(code).toBe(0);

    const path = join(dir, 'out', 'dl.rejects.ndjson');
    const written = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
    // Independently: the bad lines of the input, each once, with its code, line and original text.
    const expected = [...NOT_JSON.map((n) => [n, ErrorCodes.RECORD_INVALID]), ...REFUSED.map((n) => [n, ErrorCodes.PROCESSOR])].sort((a, b) => (a[0] as number) - (b[0] as number));
    expect(written.map((d) => [d.original.line, d.code])).toEqual(expected);
    for (const d of written) {
      expect(d.stage).toBe('check');
      expect(d.original.file).toBe(join(dir, 'in.ndjson'));
      expect([d.value, d.valueEncoding]).toEqual([LINES[d.original.line! - 1], 'utf8']);
    }
    expect(written.find((d) => d.original.line === 3)!.message).toBe('n is negative: -1');

    const cwd = process.cwd();
    expect(stderr).toContain(`dead letters: 7 in dl.rejects → ${relative(cwd, path)}`);
    const shown = stderr.split('\n').filter((l) => l.startsWith('  SLUICE_ERR_'));
    expect(shown).toHaveLength(5);
    expect(shown[0]).toMatch(new RegExp(`^  ${ErrorCodes.RECORD_INVALID}  stage check  ${relative(cwd, join(dir, 'in.ndjson'))}:2: not a JSON document`));
    expect(shown[1]).toBe(`  ${ErrorCodes.PROCESSOR}  stage check  ${relative(cwd, join(dir, 'in.ndjson'))}:3: n is negative: -1`);
    expect(stderr).toContain('  … and 2 more in the file');
  });

  it('writes them under --dead-letters DIR when given', async () => {
    const file = topology(LINES.slice(0, 3));
    const target = join(file, '..', 'elsewhere');
    const { code, stderr } = await runCli('run', file, '--dead-letters', target);
    expect(code).toBe(0);
    expect(readFileSync(join(target, 'dl.rejects.ndjson'), 'utf8').trim().split('\n')).toHaveLength(2);
    expect(existsSync(join(file, '..', 'out', 'dl.rejects.ndjson'))).toBe(false);
    expect(stderr).not.toContain('more in the file');
  });

  it('writes no file and says nothing of dead letters when there are none', async () => {
    const file = topology(['{"n":1}', '{"n":2}']);
    const { code, stderr } = await runCli('run', file);
    expect(code).toBe(0);
    expect(stderr).not.toContain('dead letters');
    expect(existsSync(join(file, '..', 'out', 'dl.rejects.ndjson'))).toBe(false);
  });
});

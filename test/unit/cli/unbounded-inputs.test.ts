/**
 * Inputs to `sluice validate` that used to have no bound: a FIFO as a schema
 * or topology file (hung forever), a 79 MB schema (1.35 GB of memory), and
 * 50,000 `${VAR}` references to a 100 KB variable (an out-of-memory abort
 * after 22 s). Each must end, in a child process, with exit 2, a coded error
 * at its position and a bounded peak RSS.
 */
import { execFile, execFileSync } from 'node:child_process';
import { truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workspace } from '../topology/helpers.ts';

/** Node and tsx alone take about 120 MB here; the failures took gigabytes. */
const RSS_BOUND_KB = 400 * 1024;
/** A hang is what went wrong before; the child is killed well before the test's own timeout. */
const KILL_AFTER_MS = 20_000;

let ws: Workspace;
let dir: string;

interface Child {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  peakRssKb: number;
}

function validate(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Child> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['test/unit/cli/peak-rss.mjs', 'validate', ...args],
      { env: { ...process.env, SLUICE_LOG_LEVEL: 'silent', ...env }, timeout: KILL_AFTER_MS, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const rss = /peak-rss-kb (\d+)/.exec(stderr)?.[1];
        const failure = err as (Error & { code?: number | string; signal?: NodeJS.Signals | null }) | null;
        resolve({
          code: failure === null ? 0 : typeof failure.code === 'number' ? failure.code : null,
          signal: failure?.signal ?? null,
          stdout,
          peakRssKb: rss === undefined ? Number.NaN : Number(rss),
        });
      },
    );
  });
}

function topologyWithSchema(schemaFile: string): string {
  return `name: t\nschemas:\n  S: ./${schemaFile}\nnodes:\n  a: { source: { stdin: true, schema: S }, sink: { stdout: true } }\n`;
}

beforeAll(async () => {
  ws = await Workspace.create();
  dir = ws.dir;
});

afterAll(async () => {
  await ws.remove();
});

describe('sluice validate on unbounded inputs', () => {
  it('refuses a FIFO given as a schema file, at the schema, instead of waiting for a writer', async () => {
    execFileSync('mkfifo', [path.join(dir, 'pipe.avsc')]);
    const file = path.join(dir, 'fifo-schema.yaml');
    await writeFile(file, topologyWithSchema('pipe.avsc'));
    const r = await validate([file]);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`${file}:3:6: error SLUICE_ERR_FILE_REFUSED: schema \`S\`: schema file ${path.join(dir, 'pipe.avsc')} is a FIFO (named pipe), not a regular file; refused`);
  });

  it('refuses a FIFO given as the topology file', async () => {
    const fifo = path.join(dir, 'pipe.yaml');
    execFileSync('mkfifo', [fifo]);
    const r = await validate([fifo]);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`${fifo}:1:1: error SLUICE_ERR_FILE_REFUSED: the topology file ${fifo} is a FIFO (named pipe), not a regular file; refused`);
  });

  it('refuses a 79 MB schema from its size, unread, in bounded memory', async () => {
    const big = path.join(dir, 'big.avsc');
    await writeFile(big, '');
    await truncate(big, 79 * 1024 * 1024);
    const file = path.join(dir, 'big-schema.yaml');
    await writeFile(file, topologyWithSchema('big.avsc'));
    const r = await validate([file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`${file}:3:6: error SLUICE_ERR_FILE_REFUSED: schema \`S\`: schema file ${big} is 82837504 bytes, over the 2097152-byte limit; refused unread`);
    expect(r.peakRssKb).toBeLessThan(RSS_BOUND_KB);
  });

  it('stops 50,000 references to a 100 KB variable at the first, and to a 60 KB one at the reference that passes 4 MiB', async () => {
    const file = path.join(dir, 'refs.yaml');
    await writeFile(file, `name: t\nnodes:\n  a: { source: { stdin: true }, sink: { stdout: true } }\ndescription: "${'${BIG}'.repeat(50_000)}"\n`);

    const perReference = await validate([file], { BIG: 'x'.repeat(100_000) });
    expect(perReference.code).toBe(2);
    expect(perReference.stdout).toContain(
      `${file}:4:15: error SLUICE_ERR_TOPOLOGY_UNSAFE: \`\${BIG}\` expands to 100000 characters, over the 65536-character limit of one reference; refused`,
    );
    expect(perReference.peakRssKb).toBeLessThan(RSS_BOUND_KB);

    const total = await validate([file], { BIG: 'x'.repeat(60_000) });
    expect(total.code).toBe(2);
    // The 70th reference (4 MiB / 60,000 = 69.9), 6 characters each after `description: "`.
    expect(total.stdout).toContain(`${file}:4:${15 + 69 * 6}: error SLUICE_ERR_TOPOLOGY_UNSAFE: expanding environment variables here takes the document past 4194304 characters; refused`);
    expect(total.peakRssKb).toBeLessThan(RSS_BOUND_KB);
  });
});

/**
 * `sluice run` on Kafka as a user runs it: stages in worker threads (or child
 * processes) still read the command's stdin and write its stdout, the status
 * server's address is printed, and `--until-caught-up` ends the run. A stop
 * asked for while the run is still starting (topics, connections, workers) is
 * as graceful as one asked for later.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { brokers, uniqueName } from '../harness/kafka.ts';
import { writeTopology } from '../runtime/examples.ts';

const bin = fileURLToPath(new URL('../../../bin/sluice.js', import.meta.url));

const yaml = `
name: piped
topics:
  lines: { partitions: 1 }
nodes:
  feed:
    source: { stdin: true, format: ndjson }
    to: lines
  show:
    from: lines
    sink: { stdout: true }
`;

function run(file: string, input: string, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, 'run', file, '--brokers', brokers().join(','), '--namespace', `${uniqueName('piped')}.`, '--port', '0', '--until-caught-up', ...args], {
    env: { ...process.env, SLUICE_LOG_LEVEL: 'warn' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdin.end(input);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('sluice run on Kafka', () => {
  it.each(['thread', 'process'])('pipes stdin to a stage and its stdout back with --isolation %s, then ends once caught up', async (isolation) => {
    const file = writeTopology({ 'topology.yaml': yaml });
    const { code, stdout, stderr } = await run(file, '{"n":1}\n{"n":2}\n{"n":3}\n', '--isolation', isolation);
    expect(code, stderr).toBe(0);
    expect(stdout).toBe('{"n":1}\n{"n":2}\n{"n":3}\n');
    expect(stderr).toMatch(/^sluice: status on http:\/\/127\.0\.0\.1:\d+\/ \(metrics http:\/\/127\.0\.0\.1:\d+\/metrics\)$/m);
    expect(stderr).toMatch(/^ {2}feed +read +3 +written +3 /m);
    expect(stderr).toMatch(/^ {2}show +read +3 +written +3 /m);
  });
});

describe('sluice run on Kafka, stopped while it starts', () => {
  it('exits 0 on a SIGTERM sent while its topics are being created, its stages never joining their groups', async () => {
    const file = writeTopology({ 'topology.yaml': yaml });
    const child = spawn(process.execPath, [bin, 'run', file, '--brokers', brokers().join(','), '--namespace', `${uniqueName('starting')}.`, '--port', '0'], {
      env: { ...process.env, SLUICE_LOG_LEVEL: 'info' },
    });
    let stderr = '';
    let signalled = false;
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      // Logged from inside the coordinator's start, before its stages or its status server.
      if (!signalled && stderr.includes('"msg":"created topics"')) {
        signalled = true;
        child.kill('SIGTERM');
      }
    });
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('close', (code, signal) => resolve({ code, signal })),
    );
    expect(signalled, stderr).toBe(true);
    expect(exit, stderr).toEqual({ code: 0, signal: null });
    expect(stderr).toContain('stopping: draining, acknowledging and committing');
    // The stop reaches each stage's worker before it has built the stage.
    expect(stderr).not.toContain('"msg":"partitions assigned"');
    expect(stderr).toMatch(/^ {2}show +read +0 +written +0 /m);
  });
});

/**
 * Fatal start-up errors of `sluice run` on Kafka: the `--port` taken, a cron
 * schedule croner refuses, an existing topic with other settings. Each used
 * to print its error while the stages ran on (still running at 100 s); now
 * the command exits non-zero with one line saying what and where, before any
 * stage has started or joined a consumer group.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { brokers, createTopic, uniqueName, withAdmin } from '../harness/kafka.ts';
import { writeTopology } from '../runtime/examples.ts';

const bin = fileURLToPath(new URL('../../../bin/sluice.js', import.meta.url));
/** Far above the few seconds a refused start takes; a run that goes on is killed here and fails the test. */
const KILL_AFTER_MS = 45_000;

/** A stdin source (the run cannot end by itself while stdin stays open) and a stage reading its topic. */
function topology(extra = ''): string {
  return `name: startup
topics:
  lines: { partitions: 2 }
nodes:
  feed:
    source: { stdin: true }
    to: lines
  show:
    from: lines
    sink: { stdout: true }
${extra}`;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function run(file: string, namespace: string, ...args: string[]): Promise<Exit> {
  const child = spawn(process.execPath, [bin, 'run', file, '--brokers', brokers().join(','), '--namespace', namespace, ...args], {
    env: { ...process.env, SLUICE_LOG_LEVEL: 'info' },
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
  // stdin stays open: a stage that started would wait on it for ever.
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stderr });
    }),
  );
}

/** The error line (the only line that is not a pino JSON log line). */
function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l !== '' && !l.startsWith('{'));
}

async function namespaceOnCluster(namespace: string): Promise<{ groups: string[]; topics: string[] }> {
  return withAdmin(async (admin) => ({
    groups: (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(namespace)),
    topics: (await admin.listTopics()).filter((t) => t.startsWith(namespace)),
  }));
}

let held: Server | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => (held !== undefined ? held.close(() => resolve()) : resolve()));
  held = undefined;
});

describe('sluice run stops at a fatal start-up error', () => {
  it('--port already in use: exit 2 with the address, nothing started and nothing created on the cluster', async () => {
    held = createServer();
    await new Promise<void>((resolve) => held!.listen(0, '127.0.0.1', resolve));
    const { port } = held.address() as AddressInfo;
    const namespace = `${uniqueName('port')}.`;

    const r = await run(writeTopology({ 'topology.yaml': topology() }), namespace, '--port', String(port));
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, r.stderr).toBe(2);
    expect(errorLines(r.stderr)).toEqual([`sluice: cannot serve HTTP on 127.0.0.1:${port}: listen EADDRINUSE: address already in use 127.0.0.1:${port} [SLUICE_ERR_CLI_USAGE]`]);
    expect(r.stderr).not.toContain('"msg":"stage started"');
    expect(await namespaceOnCluster(namespace)).toEqual({ groups: [], topics: [] });
  });

  it('a cron schedule croner refuses: exit 2 at the `cron:` value, no stage started', async () => {
    const namespace = `${uniqueName('cron')}.`;
    const file = writeTopology({ 'topology.yaml': topology(`  later:\n    from: lines\n    trigger: { cron: "99 99 99 99 99" }\n    sink: { stdout: true }\n`) });

    const r = await run(file, namespace, '--port', '0');
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, r.stderr).toBe(2);
    expect(errorLines(r.stderr)).toEqual([
      `sluice: ${file}:13:22: node \`later\`: \`99 99 99 99 99\` is not a cron schedule: CronPattern: Invalid value for minute: 99 [SLUICE_ERR_TOPOLOGY_INVALID]`,
    ]);
    expect(r.stderr).not.toContain('"msg":"stage started"');
    expect((await namespaceOnCluster(namespace)).groups).toEqual([]);
  });

  it('an existing topic with other settings: exit 1 naming topic and setting, no stage started', async () => {
    const namespace = `${uniqueName('mismatch')}.`;
    await createTopic(`${namespace}lines`, 1);

    const file = writeTopology({ 'topology.yaml': topology() });
    const r = await run(file, namespace, '--port', '0');
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, r.stderr).toBe(1);
    expect(errorLines(r.stderr)).toEqual([
      `sluice: ${file}, topic ${namespace}lines: existing topics differ from ${file}: topic \`${namespace}lines\`: partitions is 1 on the cluster, 2 in the topology [SLUICE_ERR_TOPIC_MISMATCH]`,
    ]);
    expect(r.stderr).not.toContain('"msg":"stage started"');
    expect((await namespaceOnCluster(namespace)).groups).toEqual([]);
  });
});

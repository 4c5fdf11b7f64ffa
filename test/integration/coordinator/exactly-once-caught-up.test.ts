/**
 * `sluice run --until-caught-up` downstream of exactly-once stages, as a user
 * runs it (a subprocess on the real broker). Every transaction leaves a
 * marker after its records, so the last offset of a topic exactly-once
 * stages write is a marker: commits used to stop one short of each
 * partition's end, the run never ended and status showed lag 1 per partition
 * forever. Here a chain in → a → mid1 → b → mid2 → c → out, every stage exactly-once,
 * must end by itself with lag 0, after a first run, after a SIGTERM, and
 * after a SIGKILL with more input in between, and `out` must then hold every
 * input id exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/index.ts';
import { createClusterAdmin } from '../../../src/transport/index.ts';
import { brokers, kafka, uniqueName } from '../harness/kafka.ts';
import { writeTopology } from '../runtime/examples.ts';
import { chainTopology, produce, until } from './helpers.ts';

const bin = fileURLToPath(new URL('../../../bin/sluice.js', import.meta.url));

const yaml = chainTopology(1, ', guarantee: exactly-once');

/** On this machine a run of the chain takes 15-25 s; without the fix it never ends. */
const RUN_BOUND_MS = 120_000;

interface Ended {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

function sluice(args: string[]): { child: ChildProcess; done: Promise<Ended> } {
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, SLUICE_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  const done = new Promise<Ended>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

function runArgs(file: string, namespace: string, ...extra: string[]): string[] {
  return ['run', file, '--brokers', brokers().join(','), '--namespace', namespace, '--port', '0', '--commit-interval', '200', '--session-timeout', '6000', ...extra];
}

/** Runs the chain with --until-caught-up and expects it to end by itself, successfully, within the bound. */
async function runUntilCaughtUp(file: string, namespace: string): Promise<void> {
  const { child, done } = sluice(runArgs(file, namespace, '--until-caught-up'));
  const ended = await Promise.race([done, sleep(RUN_BOUND_MS).then(() => undefined)]);
  if (ended === undefined) {
    child.kill('SIGKILL');
    throw new Error(`sluice run --until-caught-up had not ended after ${RUN_BOUND_MS / 1000} s:\n${(await done).stderr.slice(-3_000)}`);
  }
  expect(ended.code, ended.stderr.slice(-3_000)).toBe(0);
}

/** Records in `out` so far, markers included: enough to see that a run is under way. */
async function outEnd(namespace: string): Promise<number> {
  const admin = createClusterAdmin({ brokers: brokers(), clientId: 'sluice-eos-peek', logger: silentLogger });
  try {
    return ((await admin.topicOffsets([`${namespace}out`])).get(`${namespace}out`) ?? []).reduce((n, r) => n + Number(r.high), 0);
  } finally {
    await admin.close();
  }
}

/** Stops a run with `signal` once it has written past `beyond` in `out`. */
async function interrupt(file: string, namespace: string, signal: NodeJS.Signals, beyond: number): Promise<void> {
  const { child, done } = sluice(runArgs(file, namespace));
  await until(`${signal} run writing past ${beyond}`, async () => ((await outEnd(namespace)) > beyond ? true : undefined), RUN_BOUND_MS, 100);
  child.kill(signal);
  const ended = await done;
  expect(ended.signal ?? ended.code, ended.stderr.slice(-2_000)).toBe(signal === 'SIGKILL' ? 'SIGKILL' : 0);
}

/** Every committed id in `out` with how often it occurs, read until `expected` records, then a little longer for extras. */
async function committedIds(namespace: string, expected: number): Promise<Map<number, number>> {
  const consumer = kafka().consumer({ groupId: uniqueName('eos-verify') });
  const seen = new Map<number, number>();
  let total = 0;
  await consumer.connect();
  await consumer.subscribe({ topic: `${namespace}out`, fromBeginning: true });
  try {
    await consumer.run({
      eachMessage: async ({ message }) => {
        const { id } = JSON.parse(message.value!.toString()) as { id: number };
        seen.set(id, (seen.get(id) ?? 0) + 1);
        total++;
      },
    });
    await until(`${expected} records in out (have ${total})`, () => (total >= expected ? true : undefined), 60_000);
    await sleep(1_500);
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

/** `sluice status --json`: each stage's lag. */
async function lags(file: string, namespace: string): Promise<Record<string, number | null>> {
  const { done } = sluice(['status', file, '--brokers', brokers().join(','), '--namespace', namespace, '--json', '--interval', '200']);
  const { code, stdout, stderr } = await done;
  expect(code, stderr).toBe(0);
  const snapshot = JSON.parse(stdout) as { stages: Array<{ stage: string; lag: number | null }> };
  return Object.fromEntries(snapshot.stages.map((s) => [s.stage, s.lag]));
}

describe('--until-caught-up downstream of exactly-once stages', () => {
  it('ends by itself with lag 0, again after SIGTERM and SIGKILL restarts with more input, and every id is in the output once', { timeout: 900_000 }, async () => {
    const file = writeTopology({ 'topology.yaml': yaml });
    const namespace = `${uniqueName('eoscaught')}.`;
    const created = await sluice(['topics', file, '--brokers', brokers().join(','), '--namespace', namespace, '--create']).done;
    expect(created.code, created.stderr).toBe(0);
    await produce(`${namespace}in`, 0, 3_000);
    await runUntilCaughtUp(file, namespace);
    expect(await lags(file, namespace)).toEqual({ a: 0, b: 0, c: 0 });

    await produce(`${namespace}in`, 3_000, 20_000);
    await interrupt(file, namespace, 'SIGTERM', (await outEnd(namespace)) + 2_000);
    await produce(`${namespace}in`, 20_000, 40_000);
    await interrupt(file, namespace, 'SIGKILL', (await outEnd(namespace)) + 2_000);
    await produce(`${namespace}in`, 40_000, 42_000);
    await runUntilCaughtUp(file, namespace);
    expect(await lags(file, namespace)).toEqual({ a: 0, b: 0, c: 0 });

    const ids = await committedIds(namespace, 42_000);
    const missing = Array.from({ length: 42_000 }, (_, i) => i).filter((i) => !ids.has(i));
    const twice = [...ids].filter(([, n]) => n > 1).map(([id]) => id);
    expect({ missing: missing.length, twice: twice.length, distinct: ids.size }).toEqual({ missing: 0, twice: 0, distinct: 42_000 });
  });
});

/**
 * Vitest global setup for integration tests: a real Kafka broker for the run.
 *
 * - KAFKA_BROKERS set: use it as is, start nothing.
 * - otherwise: `scripts/kafka.sh start` (reusing one already running), and stop it
 *   afterwards only if this run started it.
 * - no broker to be had: with CI=true the run fails here; otherwise every
 *   integration test fails with the one-line reason (never a silent skip).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { TestProject } from 'vitest/node';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../scripts/kafka.sh', import.meta.url));

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
    kafkaUnavailable: string;
  }
}

// Several vitest projects have this setup; their starts must not race each other into two brokers.
// --close: the broker that `start` leaves running must not inherit (and so hold) the lock.
const lock = fileURLToPath(new URL('../../.cache/kafka-start.lock', import.meta.url));

async function scriptSays(cmd: string): Promise<{ ok: boolean; out: string; err: string }> {
  try {
    mkdirSync(dirname(lock), { recursive: true });
    const { stdout, stderr } = await run('flock', ['--close', lock, 'bash', script, cmd], { timeout: 600_000 });
    return { ok: true, out: stdout.trim(), err: stderr.trim() };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    return { ok: false, out: (err.stdout ?? '').trim(), err: (err.stderr ?? err.message).trim() };
  }
}

/**
 * Every vitest project that needs Kafka has this setup, and vitest may tear a
 * project down while others still run: the broker is shared through the main
 * process, counted, and stopped by the last project to finish (and only if
 * this run started it).
 */
interface SharedBroker {
  /** KAFKA_BROKERS as the user gave it, before any setup ran. */
  given: string | undefined;
  users: number;
  ready?: Promise<{ started: Awaited<ReturnType<typeof scriptSays>>; owned: boolean }>;
}

const shared: SharedBroker = ((globalThis as { __sluiceKafka?: SharedBroker }).__sluiceKafka ??= {
  given: process.env.KAFKA_BROKERS || undefined,
  users: 0,
});

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | void> {
  if (shared.given) {
    console.log(`[kafka] using KAFKA_BROKERS=${shared.given}; starting no broker`);
    project.provide('kafkaBrokers', shared.given);
    project.provide('kafkaUnavailable', '');
    return;
  }

  shared.users++;
  shared.ready ??= (async () => {
    const before = await scriptSays('status');
    const started = await scriptSays('start');
    if (started.ok) console.log(`[kafka] ${started.err.split('\n').filter(Boolean).pop()}`);
    return { started, owned: !before.ok };
  })();
  const { started, owned } = await shared.ready;
  const release = async () => {
    if (--shared.users > 0 || !owned) return;
    // A project set up after this (a later group) must start a broker again, not trust this one.
    shared.ready = undefined;
    const stopped = await scriptSays('stop');
    console.log(`[kafka] ${stopped.err || stopped.out}`);
  };
  if (!started.ok) {
    const reason = `no Kafka broker: scripts/kafka.sh start failed: ${started.err.split('\n').pop()}`;
    if (process.env.CI === 'true') throw new Error(reason);
    project.provide('kafkaBrokers', '');
    project.provide('kafkaUnavailable', reason);
    return release;
  }
  project.provide('kafkaBrokers', started.out);
  project.provide('kafkaUnavailable', '');
  // Workers spawned after setup inherit this, so code that reads the env finds it too.
  process.env.KAFKA_BROKERS = started.out;
  return release;
}

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
const lock = fileURLToPath(new URL('../../.cache/kafka-start.lock', import.meta.url));

async function scriptSays(cmd: string): Promise<{ ok: boolean; out: string; err: string }> {
  try {
    mkdirSync(dirname(lock), { recursive: true });
    const { stdout, stderr } = await run('flock', [lock, 'bash', script, cmd], { timeout: 600_000 });
    return { ok: true, out: stdout.trim(), err: stderr.trim() };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    return { ok: false, out: (err.stdout ?? '').trim(), err: (err.stderr ?? err.message).trim() };
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | void> {
  const given = process.env.KAFKA_BROKERS;
  if (given) {
    console.log(`[kafka] using KAFKA_BROKERS=${given}; starting no broker`);
    project.provide('kafkaBrokers', given);
    project.provide('kafkaUnavailable', '');
    return;
  }

  const before = await scriptSays('status');
  const started = await scriptSays('start');
  if (!started.ok) {
    const reason = `no Kafka broker: scripts/kafka.sh start failed: ${started.err.split('\n').pop()}`;
    if (process.env.CI === 'true') throw new Error(reason);
    project.provide('kafkaBrokers', '');
    project.provide('kafkaUnavailable', reason);
    return;
  }
  console.log(`[kafka] ${started.err.split('\n').filter(Boolean).pop()}`);
  project.provide('kafkaBrokers', started.out);
  project.provide('kafkaUnavailable', '');
  // Workers spawned after setup inherit this, so code that reads the env finds it too.
  process.env.KAFKA_BROKERS = started.out;

  if (before.ok) return; // someone else's running broker: leave it running
  return async () => {
    const stopped = await scriptSays('stop');
    console.log(`[kafka] ${stopped.err || stopped.out}`);
  };
}

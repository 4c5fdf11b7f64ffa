/**
 * kafkajs learns of a rebalance from a heartbeat and rejoins as soon as that
 * heartbeat throws; it has no revoke callback. Heartbeats come from the batch
 * handler, but also from kafkajs itself after an empty fetch, which is every
 * fetch of a consumer that is paused (its source full) or caught up: that
 * rejoin came at once, and a partition moved with work finished but not
 * committed, so its next owner did it again (thousands of duplicates in a
 * rolling restart, at-least-once). The runner's heartbeat is wrapped here,
 * once per process, so that wherever it learns of a rebalance, the rejoin
 * waits for the consumer's hook (Java's onPartitionsRevoked, which runs
 * before the JoinGroup too). The hook is found by the batch handler the
 * consumer passed to `run()`, the one thing of its own the runner keeps.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface RunnerLike {
  eachBatch: unknown;
  heartbeat(): Promise<void>;
}
const Runner = require('kafkajs/src/consumer/runner.js') as { prototype: RunnerLike };

/** Runs before the rejoin; `heartbeat` keeps the member in its group while it runs. */
export type RejoinHook = (heartbeat: () => Promise<void>) => Promise<void>;

const hooks = new WeakMap<object, RejoinHook>();
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  const heartbeat = Runner.prototype.heartbeat;
  Runner.prototype.heartbeat = async function (this: RunnerLike): Promise<void> {
    try {
      await heartbeat.call(this);
    } catch (err) {
      const hook = (err as { type?: string }).type === 'REBALANCE_IN_PROGRESS' ? hooks.get(this.eachBatch as object) : undefined;
      if (hook !== undefined) await hook(() => heartbeat.call(this));
      throw err;
    }
  };
}

/** Makes the runner that calls `eachBatch` wait for `hook` before it rejoins a rebalancing group. */
export function beforeKafkaJsRejoin(eachBatch: object, hook: RejoinHook): void {
  install();
  hooks.set(eachBatch, hook);
}

/**
 * A vitest global setup for a service that one of the project's scripts runs
 * (scripts/kafka.sh, scripts/registry.sh), shared by every project that needs it:
 *
 * - the user's environment variable set: use it as is, start nothing.
 * - otherwise: `SCRIPT start` (reusing one already running), and `SCRIPT stop`
 *   afterwards only if this run started it.
 * - none to be had: with CI=true the run fails here; otherwise every test that
 *   asks for it fails with the one-line reason (never a silent skip).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ProvidedContext } from 'vitest';
import type { TestProject } from 'vitest/node';

const run = promisify(execFile);

type StringKey = { [K in keyof ProvidedContext]: ProvidedContext[K] extends string ? K : never }[keyof ProvidedContext];

export interface ScriptService {
  /** Log prefix and lock name: `kafka`, `registry`. */
  name: string;
  /** What is missing, for the failure: `no Kafka broker`. */
  missing: string;
  /** The script under scripts/, e.g. `kafka.sh`; `start` prints the address on stdout. */
  script: string;
  /** The user's variable that names a running one, and that workers read. */
  env: string;
  /** The provided keys for the address and for the reason there is none. */
  provides: StringKey;
  unavailable: StringKey;
}

type Said = { ok: boolean; out: string; err: string };

/**
 * Every vitest project with this setup shares the service through the main
 * process, counted, and the last project to finish stops it (vitest may tear a
 * project down while others still run).
 */
interface Shared {
  /** The variable as the user gave it, before any setup ran. */
  given: string | undefined;
  users: number;
  ready?: Promise<{ started: Said; owned: boolean }>;
}

export function scriptService(service: ScriptService): (project: TestProject) => Promise<(() => Promise<void>) | void> {
  const script = fileURLToPath(new URL(`../../scripts/${service.script}`, import.meta.url));
  // The projects' starts must not race each other into two services.
  // --close: the service that `start` leaves running must not inherit (and so hold) the lock.
  const lock = fileURLToPath(new URL(`../../.cache/${service.name}-start.lock`, import.meta.url));

  async function scriptSays(cmd: string): Promise<Said> {
    try {
      mkdirSync(dirname(lock), { recursive: true });
      const { stdout, stderr } = await run('flock', ['--close', lock, 'bash', script, cmd], { timeout: 600_000 });
      return { ok: true, out: stdout.trim(), err: stderr.trim() };
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string; message: string };
      return { ok: false, out: (err.stdout ?? '').trim(), err: (err.stderr ?? err.message).trim() };
    }
  }

  const registry = globalThis as { __sluiceServices?: Record<string, Shared> };
  const shared = ((registry.__sluiceServices ??= {})[service.name] ??= {
    given: process.env[service.env] || undefined,
    users: 0,
  });
  const log = (line: string) => console.log(`[${service.name}] ${line}`);

  return async function setup(project: TestProject) {
    if (shared.given) {
      log(`using ${service.env}=${shared.given}; starting none`);
      project.provide(service.provides, shared.given);
      project.provide(service.unavailable, '');
      return;
    }

    shared.users++;
    shared.ready ??= (async () => {
      const before = await scriptSays('status');
      const started = await scriptSays('start');
      if (started.ok) log(started.err.split('\n').filter(Boolean).pop() ?? started.out);
      return { started, owned: !before.ok };
    })();
    const { started, owned } = await shared.ready;
    const release = async () => {
      if (--shared.users > 0 || !owned) return;
      // A project set up after this (a later group) must start one again, not trust this one.
      shared.ready = undefined;
      const stopped = await scriptSays('stop');
      log(stopped.err || stopped.out);
    };
    if (!started.ok) {
      const reason = `${service.missing}: scripts/${service.script} start failed: ${started.err.split('\n').pop()}`;
      if (process.env.CI === 'true') throw new Error(reason);
      project.provide(service.provides, '');
      project.provide(service.unavailable, reason);
      return release;
    }
    project.provide(service.provides, started.out);
    project.provide(service.unavailable, '');
    // Workers spawned after setup inherit this, so code that reads the env finds it too.
    process.env[service.env] = started.out;
    return release;
  };
}

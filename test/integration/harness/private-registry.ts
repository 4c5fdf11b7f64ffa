/**
 * A schema registry of a test's own, through scripts/registry.sh with a private state
 * folder and any free port, so killing or restarting it never touches the run's shared
 * one. The built application is the shared cache (the run's setup built it already).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { readStateFile } from './service-state.ts';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../../scripts/registry.sh', import.meta.url));

export interface PrivateRegistry {
  stateDir: string;
  /** `scripts/registry.sh CMD` on this registry: its stdout and stderr; rejects when the script fails. */
  sh(cmd: 'start' | 'stop' | 'status' | 'url' | 'kill' | 'restart'): Promise<{ stdout: string; stderr: string }>;
  /** Its registry.env: URL, PID, DIR. */
  state(): Record<string, string>;
  /** Stops the registry (if it runs) and removes the state folder. */
  dispose(): Promise<void>;
}

export function privateRegistry(): PrivateRegistry {
  const stateDir = mkdtempSync(join(tmpdir(), 'sluice-registry-state-'));
  const env = { ...process.env, SLUICE_REGISTRY_STATE: stateDir, SLUICE_REGISTRY_PORT: '0' };
  const sh: PrivateRegistry['sh'] = (cmd) => run('bash', [script, cmd], { env, timeout: 600_000 });
  return {
    stateDir,
    sh,
    state: () => readStateFile(join(stateDir, 'registry.env')),
    dispose: async () => {
      await sh('stop').catch(() => undefined);
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

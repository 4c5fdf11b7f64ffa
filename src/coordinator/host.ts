/**
 * Where a stage instance lives: a worker thread (default; one V8 isolate per
 * instance, so a topology uses every core) or a child process (`--isolation
 * process`: a crash in native code or an exhausted heap stays inside it). Both
 * load TypeScript through tsx, as bin/sluice.js does, and speak protocol.ts.
 */
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PARAMS_ENV, type ControlMessage, type InstanceMessage, type InstanceParams } from './protocol.ts';

export type Isolation = 'thread' | 'process';

export interface InstanceHost {
  send(message: ControlMessage): void;
  /** Ends the thread or process at once, as a crash would: nothing is drained or committed. */
  kill(): void;
  /** Resolves with the exit code once the thread or process has ended. */
  readonly exited: Promise<number>;
}

const require = createRequire(import.meta.url);
const entry = new URL('./worker.ts', import.meta.url);

interface TsxPackage {
  exports: { './esm': string; './esm/api': { import: { default: string } } };
}

/**
 * tsx's ESM entry points, read from its package exports: `require.resolve`
 * would pick the CommonJS build, which cannot register hooks from a worker.
 */
function tsxEntry(name: './esm' | './esm/api'): string {
  const manifest = require.resolve('tsx/package.json');
  const { exports } = require(manifest) as TsxPackage;
  const target = name === './esm' ? exports['./esm'] : exports['./esm/api'].import.default;
  return pathToFileURL(join(dirname(manifest), target)).href;
}

/** A worker thread starts as CommonJS script text: it registers tsx, then imports the TypeScript entry. */
const BOOT = `const { workerData } = require('node:worker_threads');
import(workerData.tsx).then((tsx) => { tsx.register(); return import(workerData.entry); }).catch((err) => {
  require('node:worker_threads').parentPort.postMessage({ type: 'crashed', message: 'stage worker failed to load: ' + (err && err.message || err) });
  process.exit(1);
});`;

function threadHost(params: InstanceParams, onMessage: (m: InstanceMessage) => void): InstanceHost {
  const worker = new Worker(BOOT, {
    eval: true,
    workerData: { tsx: tsxEntry('./esm/api'), entry: entry.href, params },
    stdin: params.readsStdin === true,
  });
  // A worker's process.stdin is its own stream: feed it this process's.
  if (worker.stdin !== null) {
    pipeline(process.stdin, worker.stdin).catch((err: unknown) => onMessage({ type: 'crashed', message: `stdin: ${(err as Error).message}` }));
  }
  worker.on('message', onMessage);
  // An uncaught error ends the worker with a non-zero exit; the exit is what the coordinator acts on.
  worker.on('error', (err) => onMessage({ type: 'crashed', message: err.message }));
  return {
    send: (message) => worker.postMessage(message),
    kill: () => void worker.terminate(),
    exited: new Promise((resolve) => worker.once('exit', resolve)),
  };
}

function processHost(params: InstanceParams, onMessage: (m: InstanceMessage) => void): InstanceHost {
  // Parameters go in the environment: a command line is readable by every user (ps, /proc).
  const child = fork(fileURLToPath(entry), [], {
    env: { ...process.env, [PARAMS_ENV]: JSON.stringify(params) },
    execArgv: ['--import', tsxEntry('./esm')],
    stdio: [params.readsStdin === true ? 'inherit' : 'ignore', 'inherit', 'inherit', 'ipc'],
  });
  child.on('message', (m) => onMessage(m as InstanceMessage));
  child.on('error', (err) => onMessage({ type: 'crashed', message: err.message }));
  return {
    send: (message) => {
      if (child.connected) child.send(message);
    },
    kill: () => void child.kill('SIGKILL'),
    // 'close', not 'exit': by then the IPC channel is drained, so the last report has arrived.
    exited: new Promise((resolve) => child.once('close', (code, signal) => resolve(code ?? (signal !== null ? 137 : 1)))),
  };
}

export function spawnInstance(params: InstanceParams, isolation: Isolation, onMessage: (m: InstanceMessage) => void): InstanceHost {
  return isolation === 'process' ? processHost(params, onMessage) : threadHost(params, onMessage);
}

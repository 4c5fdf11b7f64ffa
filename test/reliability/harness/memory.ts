/**
 * Memory of stage instances over time, for the soak. A `sluice run` process
 * runs its stage in a worker thread (the default isolation), so three
 * figures are taken per instance:
 *
 * - RSS of the whole process, from /proc/<pid>/status (VmRSS), read by the
 *   test without touching the process, so it works while it is SIGSTOPped;
 * - the coordinator's (main thread's) V8 heap, from prom-client's
 *   `nodejs_heap_size_used_bytes` on the instance's own /metrics;
 * - the stage worker's V8 heap, which /metrics cannot see (another isolate):
 *   a probe imported by the topology's processor modules appends
 *   `process.memoryUsage()` of the worker thread to a file once a second.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Instance } from './instances.ts';

/** processors/probe.ts: started by the first record a processor sees, so only in the stage's own thread. */
export const PROBE_MODULE = `import { appendFileSync } from 'node:fs';
import { threadId } from 'node:worker_threads';

let started = false;

/** Once a second, this thread's heap (and the process' RSS) to the file in SOAK_PROBE_FILE, if set. */
export function probe(): void {
  if (started) return;
  started = true;
  const file = process.env.SOAK_PROBE_FILE;
  if (file === undefined || file === '') return;
  const sample = () => {
    const m = process.memoryUsage();
    appendFileSync(file, JSON.stringify({ t: Date.now(), pid: process.pid, threadId, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, rss: m.rss }) + '\\n');
  };
  sample();
  setInterval(sample, 1_000).unref();
}
`;

export interface ProbeSample {
  t: number;
  pid: number;
  threadId: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  rss: number;
}

/** The probe's samples so far (none if the file is not there yet). */
export function readProbe(file: string): ProbeSample[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as ProbeSample);
}

/** VmRSS of a process in bytes; undefined once it is gone. */
export function vmRss(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? undefined : Number(m[1]) * 1024;
  } catch {
    return undefined;
  }
}

/** The base URL of an instance's status server, from the line it prints on stderr (`--port 0`). */
export function statusUrlOf(instance: Instance): string | undefined {
  return /status on (http:\/\/\S+)\//.exec(instance.log)?.[1];
}

/**
 * Values of unlabelled or summed-over-labels metrics from an instance's
 * /metrics (Prometheus text); undefined when it does not answer within
 * `timeoutMs` (a stopped process cannot).
 */
export async function scrape(url: string, names: string[], timeoutMs = 1_500): Promise<Record<string, number> | undefined> {
  try {
    const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    const out: Record<string, number> = {};
    for (const line of text.split('\n')) {
      if (line.startsWith('#')) continue;
      const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
      if (m === null || !names.includes(m[1]!)) continue;
      out[m[1]!] = (out[m[1]!] ?? 0) + Number(m[3]);
    }
    return out;
  } catch {
    return undefined;
  }
}

export interface MemorySample {
  /** ms since the sampler's start */
  t: number;
  label: string;
  pid: number;
  rss: number;
}

export interface MetricsSample {
  t: number;
  label: string;
  values: Record<string, number>;
}

/**
 * Samples RSS of the current instance behind each label every `rssEveryMs`
 * and its /metrics every `metricsEveryMs`, until `stop()`. The instance is
 * looked up at each tick, so a replaced one is followed.
 */
export class MemorySampler {
  readonly rss: MemorySample[] = [];
  readonly metrics: MetricsSample[] = [];
  readonly t0 = Date.now();
  #timers: NodeJS.Timeout[] = [];
  #scraping = new Set<string>();

  constructor(
    readonly targets: () => Array<{ label: string; instance: Instance }>,
    readonly metricNames: string[],
    rssEveryMs = 1_000,
    metricsEveryMs = 2_000,
  ) {
    this.#timers.push(setInterval(() => this.#sampleRss(), rssEveryMs));
    this.#timers.push(setInterval(() => void this.#scrape(), metricsEveryMs));
  }

  #sampleRss(): void {
    const t = Date.now() - this.t0;
    for (const { label, instance } of this.targets()) {
      if (!instance.running) continue;
      const rss = vmRss(instance.pid);
      if (rss !== undefined) this.rss.push({ t, label, pid: instance.pid, rss });
    }
  }

  async #scrape(): Promise<void> {
    await Promise.all(
      this.targets().map(async ({ label, instance }) => {
        const url = statusUrlOf(instance);
        // One scrape at a time per label: a stopped process' pending request is not stacked on.
        if (url === undefined || !instance.running || this.#scraping.has(label)) return;
        this.#scraping.add(label);
        const t = Date.now() - this.t0;
        const values = await scrape(url, this.metricNames);
        this.#scraping.delete(label);
        if (values !== undefined) this.metrics.push({ t, label, values });
      }),
    );
  }

  stop(): void {
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
  }
}

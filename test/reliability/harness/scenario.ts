/**
 * What every scenario does around its faults: a namespace of its own, the
 * pipeline's topics, input fed and acknowledged, instances of `first` and
 * `second` as processes, a watcher on the output, and at the end a graceful
 * stop of what still runs, markers, the read-back and the checker's verdict.
 */
import type { Admin, Kafka } from 'kafkajs';
import { onTestFailed } from 'vitest';
import { uniqueName } from '../../integration/harness/kafka.ts';
import { check, summarize, type CheckReport } from '../checker.ts';
import { ALARMS, Instance, saveLogs, type InstanceOptions } from './instances.ts';
import { Feeder, Watcher, client, createTopics, groupOf, offsets, readBack, waitFor, withAdmin, writePipeline, type PipelineOptions } from './pipeline.ts';

export type Node = 'first' | 'second';

export interface ScenarioOptions extends PipelineOptions {
  brokers: string[];
  prefix: string;
  sessionTimeoutMs?: number;
  commitIntervalMs?: number;
}

export interface Verdict {
  report: CheckReport;
  /** The same check on `mid`, between the stages: says which stage a loss or duplicate came from. */
  mid: CheckReport;
  markerMs: number;
  /** Graceful exits at the end, slowest first. */
  exitMs: number[];
  summary: string;
}

export class Scenario {
  readonly namespace: string;
  readonly file: string;
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly feeder: Feeder;
  readonly instances: Instance[] = [];
  /** Every instance ever started, for the stderr checks. */
  readonly all: Instance[] = [];
  watcher!: Watcher;
  readonly #options: ScenarioOptions;

  private constructor(options: ScenarioOptions) {
    this.#options = options;
    this.namespace = `${uniqueName(options.prefix)}.`;
    this.file = writePipeline(options);
    this.kafka = client(options.brokers, `sluice-${options.prefix}`);
    this.admin = this.kafka.admin();
    this.feeder = new Feeder(this.kafka, this.topic('in'));
  }

  static async open(options: ScenarioOptions): Promise<Scenario> {
    const s = new Scenario(options);
    onTestFailed(() => console.log(`[reliability] instance logs in ${s.saveLogs()}`));
    await s.admin.connect();
    await createTopics(s.kafka, s.namespace);
    await s.feeder.connect();
    s.watcher = await Watcher.start(s.kafka, s.topic('out'));
    return s;
  }

  /** A new watcher on the output (reading it again from the start), for after a broker outage. */
  async restartWatcher(): Promise<void> {
    await this.watcher.stop().catch(() => undefined);
    this.watcher = await Watcher.start(this.kafka, this.topic('out'));
  }

  topic(name: string): string {
    return `${this.namespace}${name}`;
  }

  group(node: Node): string {
    return groupOf(this.namespace, node);
  }

  /** Starts an instance of `node` and keeps it in `instances` (at `slot` when replacing one). */
  start(node: Node, slot?: number, more: Partial<InstanceOptions> = {}): Instance {
    const instance = Instance.start({
      file: this.file,
      brokers: this.#options.brokers,
      namespace: this.namespace,
      node,
      ...(this.#options.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: this.#options.sessionTimeoutMs } : {}),
      ...(this.#options.commitIntervalMs !== undefined ? { commitIntervalMs: this.#options.commitIntervalMs } : {}),
      ...more,
    });
    if (slot === undefined) this.instances.push(instance);
    else this.instances[slot] = instance;
    this.all.push(instance);
    return instance;
  }

  /** Waits until `node`'s group is Stable with `count` members (their ids, sorted); fails after `timeoutMs`. */
  async stableMembers(node: Node, count: number, timeoutMs = 60_000): Promise<string[]> {
    let members: string[] = [];
    const ok = await waitFor(async () => {
      const g = (await this.admin.describeGroups([this.group(node)])).groups[0];
      members = (g?.members ?? []).map((m) => m.memberId).sort();
      return members.length === count && g?.state === 'Stable';
    }, timeoutMs);
    if (!ok) throw new Error(`group of ${node} not Stable with ${count} members within ${timeoutMs} ms (members: ${members.length})`);
    return members;
  }

  /**
   * What a crash of `node` now can re-deliver at most: per partition, records
   * already written downstream past the group's committed input offset.
   */
  async uncommittedWindow(node: Node): Promise<number> {
    const [input, output] = node === 'first' ? ['in', 'mid'] : ['mid', 'out'];
    const [inRows, outRows] = await Promise.all([
      offsets(this.admin, this.group(node), this.topic(input)),
      offsets(this.admin, this.group(node), this.topic(output)),
    ]);
    return inRows.reduce((n, r, p) => n + Math.max(0, Number(outRows[p]!.high - (r.committed < 0n ? 0n : r.committed))), 0);
  }

  /**
   * Records written to `out` so far (committed or not): the pipeline's own
   * progress as the broker sees it. A fresh client each time, so a broker
   * that just came back is seen at once, not after a client's backoff.
   */
  async written(): Promise<number> {
    const ends = await withAdmin(client(this.#options.brokers, 'sluice-reliability-probe'), (admin) => admin.fetchTopicOffsets(this.topic('out')));
    return ends.reduce((n, e) => n + Number(e.high), 0);
  }

  /** Milliseconds from `since` until `out` holds more than `from` records; undefined if not within `timeoutMs`. */
  async outputGrew(from: number, since: number, timeoutMs: number): Promise<number | undefined> {
    const ok = await waitFor(async () => (await this.written()) > from, timeoutMs, 250);
    return ok ? Date.now() - since : undefined;
  }

  /** SIGTERM to every running instance at once; each exit time. */
  async stopAll(): Promise<number[]> {
    const stops = await Promise.all(this.instances.filter((i) => i.running).map((i) => i.stop()));
    return stops.map((s) => s.ms).sort((a, b) => b - a);
  }

  /** Stderr lines of any instance that match the alarms (unhandled rejections, listener leaks, OOM). */
  alarms(): string[] {
    return this.all.flatMap((i) => i.log.split('\n').filter((l) => ALARMS.test(l)));
  }

  /** Stops what runs, writes the markers, reads the output back and checks it against what was fed. */
  async finish(): Promise<Verdict> {
    const exitMs = await this.stopAll();
    await this.watcher.stop();
    const { records, markerMs } = await readBack(this.kafka, this.topic('out'));
    const report = check(this.feeder.sent, records);
    const mid = check(this.feeder.sent, (await readBack(this.kafka, this.topic('mid'))).records);
    return { report, mid, markerMs, exitMs, summary: `out: ${summarize(report)}; mid: ${summarize(mid)}` };
  }

  /** Every instance's stderr into test-results/<namespace>log, for a failed scenario's post-mortem; returns the path. */
  saveLogs(): string {
    return saveLogs(this.namespace, this.all);
  }

  async close(): Promise<void> {
    await this.feeder.close().catch(() => undefined);
    await this.watcher?.stop().catch(() => undefined);
    await this.admin.disconnect().catch(() => undefined);
  }
}

/**
 * The coordinator's Prometheus metrics (prom-client), in a registry of its
 * own so two coordinators in one process never mix. Record counters are read
 * from the instances' own counts at scrape time (they add up over restarts,
 * so they only grow); group figures (lag, members, state, rates) are gauges
 * set from the latest monitor sample. Labels: topology, stage, and topic and
 * partition for per-partition lag. Restores of state stores from their
 * changelogs are read at scrape time too, labelled node, store and
 * partition. Process metrics come from prom-client's defaults.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { LocalStageStatus, RestoreStatus, StatusSnapshot } from './status.ts';

type LocalCount = 'read' | 'written' | 'deadLettered' | 'retried' | 'crashes' | 'restarts';

const GROUP_STATES = ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead', 'Unknown'] as const;

export class CoordinatorMetrics {
  readonly registry = new Registry();
  readonly #topology: string;
  readonly #local: () => ReadonlyMap<string, LocalStageStatus>;
  readonly #partitionLag: Gauge<'topology' | 'stage' | 'topic' | 'partition'>;
  readonly #stageLag: Gauge<'topology' | 'stage'>;
  readonly #members: Gauge<'topology' | 'stage'>;
  readonly #groupState: Gauge<'topology' | 'stage' | 'state'>;
  readonly #rate: Gauge<'topology' | 'stage' | 'direction'>;
  readonly #running: Gauge<'topology' | 'stage'>;
  readonly #poll: Histogram<'topology'>;

  constructor(topology: string, local: () => ReadonlyMap<string, LocalStageStatus>) {
    this.#topology = topology;
    this.#local = local;
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.#counter('sluice_records_in_total', 'Records read by this process\'s instances of the stage.', 'read');
    this.#counter('sluice_records_out_total', 'Records written (acknowledged) by this process\'s instances of the stage.', 'written');
    this.#counter('sluice_dead_letters_total', 'Records sent to the dead-letter topic by this process\'s instances.', 'deadLettered');
    this.#counter('sluice_retries_total', 'Retries of retriable failures (a processor per record, the topic sink per batch) by this process\'s instances.', 'retried');
    this.#counter('sluice_stage_errors_total', 'Stage instance crashes.', 'crashes');
    this.#counter('sluice_stage_restarts_total', 'Stage instance restarts after a crash.', 'restarts');
    this.#partitionLag = new Gauge({ name: 'sluice_consumer_lag', help: 'High watermark minus committed offset, per input partition.', labelNames: ['topology', 'stage', 'topic', 'partition'], registers });
    this.#stageLag = new Gauge({ name: 'sluice_stage_lag', help: 'Sum of the stage group\'s lag over its input partitions.', labelNames: ['topology', 'stage'], registers });
    this.#members = new Gauge({ name: 'sluice_group_members', help: 'Members of the stage\'s consumer group, in any process.', labelNames: ['topology', 'stage'], registers });
    this.#groupState = new Gauge({ name: 'sluice_group_state', help: '1 for the state the stage\'s consumer group is in.', labelNames: ['topology', 'stage', 'state'], registers });
    this.#rate = new Gauge({ name: 'sluice_stage_records_per_second', help: 'Input (committed) and output (written) records per second between two samples.', labelNames: ['topology', 'stage', 'direction'], registers });
    this.#running = new Gauge({ name: 'sluice_stage_instances_running', help: 'Instances of the stage running in this process.', labelNames: ['topology', 'stage'], registers });
    this.#restoreMetrics();
    this.#poll = new Histogram({ name: 'sluice_monitor_poll_seconds', help: 'Time one monitor sample of the cluster took.', labelNames: ['topology'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers });
  }

  #counter(name: string, help: string, field: LocalCount): void {
    const topology = this.#topology;
    const local = this.#local;
    const pushed = new Map<string, number>();
    new Counter({
      name,
      help,
      labelNames: ['topology', 'stage'],
      registers: [this.registry],
      collect() {
        for (const [stage, status] of local()) {
          const total = status[field];
          const delta = total - (pushed.get(stage) ?? 0);
          this.inc({ topology, stage }, Math.max(0, delta));
          pushed.set(stage, Math.max(total, pushed.get(stage) ?? 0));
        }
      },
    });
  }

  #restoreMetrics(): void {
    const topology = this.#topology;
    const local = this.#local;
    const restores = function* () {
      for (const [node, status] of local()) for (const r of status.restores) yield { labels: { topology, node, store: r.store, partition: String(r.partition) }, restore: r };
    };
    const labelNames = ['topology', 'node', 'store', 'partition'] as const;
    /** Per store and partition: the restore last counted (its start) and how much of it. */
    const counted = new Map<string, { startedAt: number; restored: number }>();
    new Counter({
      name: 'sluice_restore_records_total',
      help: "Changelog records restored into state stores by this process's instances.",
      labelNames,
      registers: [this.registry],
      collect() {
        for (const { labels, restore } of restores()) {
          const id = `${labels.node}/${labels.store}/${labels.partition}`;
          const before = counted.get(id);
          // A later restore of the partition (after a rebalance or restart) counts from its own start.
          const base = before !== undefined && before.startedAt === restore.startedAt ? before.restored : 0;
          this.inc(labels, Math.max(0, restore.restored - base));
          counted.set(id, { startedAt: restore.startedAt, restored: Math.max(base, restore.restored) });
        }
      },
    });
    const gauge = (name: string, help: string, value: (r: RestoreStatus) => number) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers: [this.registry],
        collect() {
          this.reset();
          for (const { labels, restore } of restores()) this.set(labels, value(restore));
        },
      });
    gauge('sluice_restore_remaining_records', 'Changelog records still to restore into the store.', (r) => r.remaining);
    gauge('sluice_restore_records_per_second', 'Changelog records restored per second while the restore runs (0 once done).', (r) => r.perSecond);
  }

  observePoll(seconds: number): void {
    this.#poll.observe({ topology: this.#topology }, seconds);
  }

  update(snapshot: StatusSnapshot): void {
    const topology = this.#topology;
    this.#partitionLag.reset();
    this.#groupState.reset();
    for (const stage of snapshot.stages) {
      const labels = { topology, stage: stage.stage };
      for (const p of stage.partitions) this.#partitionLag.set({ ...labels, topic: p.topic, partition: String(p.partition) }, p.lag);
      if (stage.lag !== null) this.#stageLag.set(labels, stage.lag);
      if (stage.groupState !== null) {
        this.#members.set(labels, stage.members.length);
        for (const state of GROUP_STATES) this.#groupState.set({ ...labels, state }, state === stage.groupState ? 1 : 0);
      }
      if (stage.inputRate !== null) this.#rate.set({ ...labels, direction: 'in' }, stage.inputRate);
      if (stage.outputRate !== null) this.#rate.set({ ...labels, direction: 'out' }, stage.outputRate);
      if (stage.local !== undefined) this.#running.set(labels, stage.local.running);
    }
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

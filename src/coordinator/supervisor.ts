/**
 * Runs the selected stages of a topology on Kafka, each instance in its own
 * thread or process (instance.ts), and decides when they run:
 *
 * - `always`: started at once and kept running (restarted after crashes).
 * - `cron`: started at every tick of the schedule (croner) unless still
 *   running, and stopped once caught up.
 * - on demand (`trigger`): a run now, caught up then stopped for cron nodes.
 *
 * "Caught up" is decided here, not in the instances: the input's high
 * watermarks are read when the run's upstream stages (in this process) have
 * ended, and the run stops once the group has committed up to them. The
 * group's commits are the only view every instance shares, so N instances
 * stop together however the partitions are spread.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Cron } from 'croner';
import { ErrorCodes, SluiceError, type Logger } from '../core/index.ts';
import type { RunReport, StageReport } from '../runtime/index.ts';
import { cronOptions } from '../topology/index.ts';
import type { ClusterAdmin, KafkaClient, KafkaSecurity, PartitionRange } from '../transport/index.ts';
import type { Isolation } from './host.ts';
import { StageInstance, type InstanceState } from './instance.ts';
import type { StagePlan, TopologyPlan } from './plan.ts';
import type { RestartPolicy } from './restart.ts';
import type { QueryOutcome, StoreTarget } from './query.ts';
import type { InstanceFailure, StageRunner, TriggerResult } from './runner.ts';
import { restoreStatus, type LocalStageStatus } from './status.ts';

export interface SupervisorOptions {
  plan: TopologyPlan;
  /** The stages this process runs (`--node`); the others belong to other processes. */
  selected: readonly StagePlan[];
  brokers: string[];
  security?: KafkaSecurity;
  client?: KafkaClient;
  admin: ClusterAdmin;
  logger: Logger;
  isolation: Isolation;
  policy: RestartPolicy;
  /** Run `always` stages until caught up too (`--until-caught-up`). */
  untilCaughtUp: boolean;
  /** The first life of each instance reads its file or counted generator from the start (`--from-start`). */
  fromStart: boolean;
  stateDir?: string | undefined;
  commitIntervalMs?: number;
  sessionTimeoutMs?: number;
  keyFile?: string;
  schemaRegistry?: string | undefined;
  /** How often a catching-up run reads its group's commits. Default 500 ms. */
  catchUpPollMs?: number;
  random?: () => number;
}

/** When several instances differ, the state that says most about the stage. */
const STATE_ORDER: readonly InstanceState[] = ['failed', 'restarting', 'starting', 'stopping', 'running', 'idle', 'finished', 'stopped'];

function nodeIdOf(stage: StagePlan): string {
  return stage.vertex.slice('node-'.length);
}

export class Supervisor implements StageRunner {
  readonly done: Promise<RunReport>;
  readonly #options: SupervisorOptions;
  readonly #logger: Logger;
  readonly #slots = new Map<string, StageInstance[]>();
  /** The current run of each stage, for downstream stages waiting on it. */
  readonly #runs = new Map<string, Promise<void>>();
  readonly #crons: Cron[] = [];
  readonly #stopping = new AbortController();

  constructor(options: SupervisorOptions) {
    this.#options = options;
    this.#logger = options.logger;
    const { plan } = options;
    for (const stage of options.selected) {
      this.#slots.set(
        stage.stage,
        Array.from(
          { length: stage.instances },
          (_, i) =>
            new StageInstance({
              params: {
                file: plan.source.file,
                stage: stage.stage,
                instance: i,
                brokers: options.brokers,
                ...(options.security !== undefined ? { security: options.security } : {}),
                ...(options.client !== undefined ? { client: options.client } : {}),
                namespace: plan.namespace,
                clientId: `sluice-${plan.topology.name}-${stage.stage}-${i}`,
                logLevel: options.logger.level,
                commitIntervalMs: options.commitIntervalMs,
                sessionTimeoutMs: options.sessionTimeoutMs,
                keyFile: options.keyFile,
                ...(options.schemaRegistry !== undefined ? { schemaRegistry: options.schemaRegistry } : {}),
                readsStdin: stage.node.input.kind === 'stdin',
                ...(options.fromStart ? { fromStart: true } : {}),
                ...(options.stateDir !== undefined ? { stateDir: options.stateDir } : {}),
              },
              isolation: options.isolation,
              policy: options.policy,
              logger: options.logger,
              random: options.random,
            }),
        ),
      );
    }
    // Every schedule before any instance starts: a pattern croner refuses must stop the run with nothing to undo.
    try {
      for (const stage of options.selected) if (stage.trigger.kind === 'cron') this.#schedule(stage, stage.trigger.cron);
    } catch (err) {
      for (const cron of this.#crons) cron.stop();
      throw err;
    }
    this.done = this.#start();
  }

  async #start(): Promise<RunReport> {
    const always: Promise<void>[] = [];
    for (const stage of this.#options.selected) {
      if (stage.trigger.kind !== 'cron') always.push(this.#run(stage, this.#options.untilCaughtUp));
    }
    await Promise.all(always);
    // Scheduled stages run until the coordinator is told to stop.
    if (this.#crons.length > 0 && !this.#stopping.signal.aborted) {
      await new Promise((resolve) => this.#stopping.signal.addEventListener('abort', resolve, { once: true }));
    }
    await Promise.all(this.#runs.values());
    return this.#report();
  }

  #schedule(stage: StagePlan, pattern: string): void {
    let cron: Cron;
    try {
      cron = new Cron(pattern, { ...cronOptions, protect: true }, () => {
        if (this.#slots.get(stage.stage)!.some((s) => s.active)) {
          this.#logger.warn({ stage: stage.stage, cron: pattern }, 'cron tick while the previous run is still going: skipped');
          return;
        }
        this.#logger.info({ stage: stage.stage, cron: pattern }, 'cron trigger: running until caught up');
        void this.#run(stage, true);
      });
    } catch (err) {
      throw new SluiceError(ErrorCodes.CONFIG_INVALID, `stage ${stage.stage}: cron \`${pattern}\`: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
        context: { file: this.#options.plan.source.file, line: stage.node.line, column: stage.node.column, stage: stage.stage },
      });
    }
    this.#crons.push(cron);
  }

  /** One run of every instance of `stage`; resolves when all have ended. */
  #run(stage: StagePlan, catchUp: boolean): Promise<void> {
    const slots = this.#slots.get(stage.stage)!;
    const run = (async () => {
      const ended = Promise.all(slots.map((s) => s.run()));
      if (catchUp && stage.group !== undefined) {
        await this.#writersDone(stage);
        await this.#catchUp(stage, slots);
        for (const slot of slots) slot.finish();
      }
      await ended;
    })();
    this.#runs.set(stage.stage, run);
    return run;
  }

  /** Upstream stages in this process that write the stage's inputs, in their current run. */
  async #writersDone(stage: StagePlan): Promise<void> {
    const writers = this.#options.selected.filter((w) => w !== stage && w.outputs.some((t) => stage.inputs.includes(t)));
    await Promise.all(writers.map((w) => this.#runs.get(w.stage)));
  }

  /** Waits until the group has committed up to the inputs' high watermarks of now, or every instance has ended. */
  async #catchUp(stage: StagePlan, slots: readonly StageInstance[]): Promise<void> {
    const { admin } = this.#options;
    const poll = this.#options.catchUpPollMs ?? 500;
    let ends: Map<string, PartitionRange[]> | undefined;
    while (slots.some((s) => s.active) && !this.#stopping.signal.aborted) {
      try {
        ends ??= await admin.topicOffsets(stage.inputs);
        const committed = await admin.committedOffsets(stage.group!, stage.inputs);
        const behind = [...ends].some(([topic, ranges]) => {
          const done = new Map((committed.get(topic) ?? []).map((c) => [c.partition, c.offset]));
          return ranges.some((r) => BigInt(done.get(r.partition) ?? r.low) < BigInt(r.high));
        });
        if (!behind) {
          this.#logger.info({ stage: stage.stage }, 'caught up with the input; stopping the run');
          return;
        }
      } catch (err) {
        // The broker may be away for a moment; the run goes on meanwhile.
        this.#logger.warn({ err, stage: stage.stage }, 'could not read offsets to see if the run caught up; trying again');
      }
      await sleep(poll);
    }
  }

  trigger(node: string): TriggerResult {
    const stages = this.#options.selected.filter((s) => nodeIdOf(s) === node);
    if (stages.length === 0) {
      const known = this.#options.plan.stages.some((s) => nodeIdOf(s) === node);
      return { accepted: false, reason: known ? `node ${node} is not run by this coordinator (see --node)` : `no node ${node} in ${this.#options.plan.source.name}` };
    }
    if (this.#stopping.signal.aborted) return { accepted: false, reason: 'the coordinator is stopping' };
    if (stages.some((s) => this.#slots.get(s.stage)!.some((slot) => slot.active))) {
      return { accepted: false, reason: `node ${node} is already running` };
    }
    for (const stage of stages) {
      this.#logger.info({ stage: stage.stage }, 'triggered on demand');
      void this.#run(stage, stage.trigger.kind === 'cron' || this.#options.untilCaughtUp);
    }
    return { accepted: true, stages: stages.map((s) => s.stage) };
  }

  /**
   * The local instance whose last report holds the partition answers; its
   * report may be a moment old, so an instance that no longer holds it sends
   * the question on to the group's view of who does.
   */
  async query({ stage, store }: StoreTarget, key: string, partition: number): Promise<QueryOutcome> {
    const holder = this.#slots.get(stage.stage)?.find((s) => s.state === 'running' && s.partitions.includes(partition));
    if (holder !== undefined) {
      const answer = await holder.query(store, key).catch((err: unknown) => {
        this.#logger.debug({ err, stage: stage.stage, partition }, 'the instance holding the partition did not answer a query; asking the group');
        return undefined;
      });
      if (answer !== undefined && answer.kind !== 'elsewhere') return answer;
    }
    return this.#owner(stage, partition);
  }

  /** The member of the stage's group assigned the partition, from DescribeGroups. */
  async #owner(stage: StagePlan, partition: number): Promise<QueryOutcome> {
    if (stage.group === undefined) return { kind: 'unavailable', partition };
    const [group] = await this.#options.admin.describeGroups([stage.group]);
    const member = group?.members.find((m) => m.assignment.some((a) => stage.inputs.includes(a.topic) && a.partitions.includes(partition)));
    if (member === undefined) return { kind: 'unavailable', partition };
    return { kind: 'owner', partition, owner: { memberId: member.memberId, clientId: member.clientId, host: member.host } };
  }

  stop(): void {
    this.#stopping.abort();
    for (const cron of this.#crons) cron.stop();
    for (const slots of this.#slots.values()) for (const slot of slots) slot.stop();
  }

  /** The instances of a stage, for tests and fault drills (`kill()` one). */
  instances(stage: string): readonly StageInstance[] {
    return this.#slots.get(stage) ?? [];
  }

  local(): Map<string, LocalStageStatus> {
    const out = new Map<string, LocalStageStatus>();
    for (const [stage, slots] of this.#slots) {
      const states = new Set(slots.map((s) => s.state));
      const counts = slots.map((s) => s.counts);
      const lastError = slots.map((s) => s.lastError).find((e) => e !== undefined);
      out.set(stage, {
        state: STATE_ORDER.find((s) => states.has(s)) ?? 'idle',
        instances: slots.length,
        running: slots.filter((s) => s.state === 'running').length,
        restarts: slots.reduce((n, s) => n + s.restarts, 0),
        crashes: slots.reduce((n, s) => n + s.crashes, 0),
        ...(lastError !== undefined ? { lastError } : {}),
        read: counts.reduce((n, c) => n + c.read, 0),
        written: counts.reduce((n, c) => n + c.written, 0),
        deadLettered: counts.reduce((n, c) => n + c.deadLettered, 0),
        retried: counts.reduce((n, c) => n + c.retried, 0),
        restores: restoreStatus(slots.flatMap((s) => s.restores)),
      });
    }
    return out;
  }

  failures(): InstanceFailure[] {
    return [...this.#slots].flatMap(([stage, slots]) =>
      slots.flatMap((slot, instance) => (slot.state === 'failed' ? [{ stage, instance, error: slot.lastError ?? 'failed' }] : [])),
    );
  }

  #report(): RunReport {
    const local = this.local();
    const stages: StageReport[] = this.#options.selected.map((stage) => {
      const l = local.get(stage.stage)!;
      const output = this.#slots.get(stage.stage)!.find((s) => s.lastReport !== undefined)?.lastReport?.output ?? '';
      return { node: stage.stage, read: l.read, written: l.written, deadLettered: l.deadLettered, retried: l.retried, output };
    });
    const failed = this.failures().map((f) => ({ node: `${f.stage}#${f.instance}`, error: f.error }));
    return { topology: this.#options.plan.topology.name, transport: 'kafka', stages, failed };
  }
}

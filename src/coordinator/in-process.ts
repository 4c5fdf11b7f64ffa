/**
 * Stages on the embedded transport: in-memory topics cannot cross threads, so
 * every stage runs in this process as the runtime's TopologyRun (which ends
 * once every stage has drained). The coordinator still watches and serves
 * them; what it cannot do here is restart a stage or trigger one later.
 */
import { ErrorCodes, SluiceError } from '../core/index.ts';
import { TopologyRun, type RunOptions, type RunReport } from '../runtime/index.ts';
import { answerQuery, restoresOf, type QueryOutcome, type StoreTarget } from './query.ts';
import type { InstanceFailure, StageRunner, TriggerResult } from './runner.ts';
import { restoreStatus, type LocalStageStatus } from './status.ts';

export class InProcessRunner implements StageRunner {
  readonly done: Promise<RunReport>;
  readonly #run: TopologyRun;
  #report: RunReport | undefined;

  private constructor(run: TopologyRun) {
    this.#run = run;
    this.done = run.done.then((report) => (this.#report = report));
  }

  static async start(options: RunOptions): Promise<InProcessRunner> {
    if (options.transport.kind !== 'embedded') {
      throw new SluiceError(ErrorCodes.CLI_USAGE, 'stages run in this process only on the embedded transport');
    }
    return new InProcessRunner(await TopologyRun.start(options));
  }

  local(): Map<string, LocalStageStatus> {
    const out = new Map<string, LocalStageStatus>();
    for (const stage of this.#run.stages) {
      const report = stage.report();
      const failure = this.#report?.failed.find((f) => f.node === stage.node.id);
      const state = failure !== undefined ? 'failed' : this.#report !== undefined ? 'finished' : 'running';
      out.set(stage.node.id, {
        state,
        instances: 1,
        running: state === 'running' ? 1 : 0,
        restarts: 0,
        crashes: failure !== undefined ? 1 : 0,
        ...(failure !== undefined ? { lastError: failure.error } : {}),
        read: report.read,
        written: report.written,
        deadLettered: report.deadLettered,
        retried: report.retried,
        restores: restoreStatus(restoresOf(stage)),
      });
    }
    return out;
  }

  failures(): InstanceFailure[] {
    return (this.#report?.failed ?? []).map((f) => ({ stage: f.node, instance: 0, error: f.error }));
  }

  trigger(): TriggerResult {
    return { accepted: false, reason: 'on-demand triggers need Kafka: embedded stages run once, in this process' };
  }

  /** The one instance of each stage is here; once it has ended, its stores are closed and nothing answers. */
  async query(target: StoreTarget, key: string, partition: number): Promise<QueryOutcome> {
    const stage = this.#report === undefined ? this.#run.stages.find((s) => s.node.id === target.stage.stage) : undefined;
    const answer = stage !== undefined ? answerQuery(stage, target.store, key, partition) : undefined;
    return answer === undefined || answer.kind === 'elsewhere' ? { kind: 'unavailable', partition } : answer;
  }

  stop(): void {
    this.#run.stop();
  }
}

/**
 * The coordinator: trigger, schedule and monitor the stages of one topology.
 *
 * It creates (and checks) the topology's topics, starts the stages this
 * process runs (threads on Kafka, this process when embedded), samples the
 * consumer groups of every stage of the topology every `pollIntervalMs` (so
 * a coordinator running `--node a` still sees the stages other machines
 * run), turns samples into status, metrics and alerts, and serves them over
 * HTTP.
 */
import { performance } from 'node:perf_hooks';
import { ErrorCodes, SluiceError, isSluiceError, type Logger } from '../core/index.ts';
import type { RunReport } from '../runtime/index.ts';
import { renderGraph, type Topology } from '../topology/index.ts';
import { createClusterAdmin, createTransport, type ClusterAdmin, type KafkaClient, type KafkaSecurity, type Transport } from '../transport/index.ts';
import { AlertWatcher, type AlertThresholds } from './alerts.ts';
import { annotationsOf } from './annotate.ts';
import type { Isolation } from './host.ts';
import { startHttpServer, type HttpServer, type HttpServerOptions, type HttpSource, type Probe } from './http.ts';
import { InProcessRunner } from './in-process.ts';
import type { StageInstance } from './instance.ts';
import { CoordinatorMetrics } from './metrics.ts';
import { statusPage } from './page.ts';
import { planTopology, scheduleWarnings, type StagePlan, type TopologyPlan } from './plan.ts';
import { queryReply, type QueryReply } from './query.ts';
import { defaultRestartPolicy, type RestartPolicy } from './restart.ts';
import type { StageRunner, TriggerResult } from './runner.ts';
import { sampleCluster, statusOf, type ClusterSample, type LocalStageStatus, type StatusSnapshot } from './status.ts';
import { Supervisor } from './supervisor.ts';
import { restoringLines } from './table.ts';
import { ensureTopics } from './topics.ts';
import { emptyOverwrittenFiles, withRetry } from '../runtime/index.ts';

export const DEFAULT_PORT = 9464;
export const DEFAULT_POLL_INTERVAL_MS = 2_000;

/** The HTTP server's port, address and request policy (token, allowed hosts and origins). */
export interface HttpOptions extends Omit<HttpServerOptions, 'host'> {
  host?: string;
  /** When false, a port already in use is logged and the run goes on without HTTP (the default port's case). */
  required?: boolean;
}

export interface CoordinatorOptions {
  topology: Topology;
  logger: Logger;
  /** Kafka bootstrap brokers; none means the embedded transport, in this process. */
  brokers?: string[];
  /** Kafka TLS and SASL, for this process' clients and every stage instance's. */
  security?: KafkaSecurity;
  /** The Kafka client library of this process and of every stage instance. */
  client?: KafkaClient;
  /** Node ids (as written) this process runs; all by default. The monitor watches every stage regardless. */
  nodes?: readonly string[];
  namespace?: string;
  /** `--instances node=N` overrides. */
  instances?: Readonly<Record<string, number>>;
  untilCaughtUp?: boolean;
  /** File and counted generator sources read from the start, ignoring their stored positions (`--from-start`). */
  fromStart?: boolean;
  /** Where state stores keep local copies (lmdb); in memory when undefined. */
  stateDir?: string;
  isolation?: Isolation;
  restartPolicy?: Partial<RestartPolicy>;
  alerts?: Partial<AlertThresholds>;
  pollIntervalMs?: number;
  /** Omit for no HTTP server. */
  http?: HttpOptions;
  commitIntervalMs?: number;
  sessionTimeoutMs?: number;
  keyFile?: string;
  /** Overrides the topology's `schema-registry.url`. */
  schemaRegistry?: string;
  env?: NodeJS.ProcessEnv;
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WritableStream;
  random?: () => number;
}

function selectStages(plan: TopologyPlan, nodes: readonly string[] | undefined): StagePlan[] {
  if (nodes === undefined || nodes.length === 0) return plan.stages;
  const known = new Set(plan.source.nodes.map((n) => n.id));
  const unknown = nodes.filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw new SluiceError(ErrorCodes.CLI_USAGE, `no node ${unknown.map((u) => `\`${u}\``).join(', ')} in ${plan.source.file}; nodes: ${[...known].join(', ')}`);
  }
  return plan.stages.filter((s) => nodes.includes(s.vertex.slice('node-'.length)));
}

export class Coordinator {
  readonly plan: TopologyPlan;
  readonly selected: readonly StagePlan[];
  readonly done: Promise<RunReport>;
  readonly metrics: CoordinatorMetrics;
  readonly #options: CoordinatorOptions;
  readonly #logger: Logger;
  readonly #transport: Transport;
  readonly #admin: ClusterAdmin;
  readonly #runner: StageRunner;
  readonly #alerts: AlertWatcher;
  #http: HttpServer | undefined;
  #timer: NodeJS.Timeout | undefined;
  #sampling: Promise<StatusSnapshot> | undefined;
  #sample: ClusterSample | undefined;
  #local: Map<string, LocalStageStatus> | undefined;
  #snapshot: StatusSnapshot | undefined;

  private constructor(
    options: CoordinatorOptions,
    plan: TopologyPlan,
    selected: StagePlan[],
    transport: Transport,
    admin: ClusterAdmin,
    runner: StageRunner,
    http: HttpServer | undefined,
  ) {
    this.#options = options;
    this.#http = http;
    this.#logger = options.logger;
    this.plan = plan;
    this.selected = selected;
    this.#transport = transport;
    this.#admin = admin;
    this.#runner = runner;
    this.#alerts = new AlertWatcher(options.alerts);
    this.metrics = new CoordinatorMetrics(plan.topology.name, () => this.#runner.local());
    // A last sample once everything has ended, so /status and /metrics show the final figures.
    this.done = runner.done.then(async (report) => {
      await this.refresh().catch((err: unknown) => this.#logger.warn({ err }, 'final monitor sample failed'));
      return report;
    });
  }

  static async start(options: CoordinatorOptions): Promise<Coordinator> {
    const { logger } = options;
    const plan = planTopology(options.topology, { namespace: options.namespace, instances: options.instances });
    const selected = selectStages(plan, options.nodes);
    const brokers = options.brokers ?? [];
    const clientId = `sluice-${plan.topology.name}`;
    const connection = { ...(options.security !== undefined ? { security: options.security } : {}), ...(options.client !== undefined ? { client: options.client } : {}) };
    const transport = createTransport({ brokers, clientId, logger, ...connection });
    const admin = createClusterAdmin({ brokers, clientId: `${clientId}-monitor`, logger, ...connection });
    let http: HttpServer | undefined;
    let coordinator: Coordinator | undefined;
    try {
      // Every fatal start-up error (a port taken, topics that differ, a schedule croner refuses) comes
      // before the first stage starts, so none has to be stopped again: a stage that joined its group
      // and left at once would rebalance the group's other members.
      http = await Coordinator.#listen(options, plan, () => coordinator);
      // A broker that has just started may still be electing leaders: retry what is transient.
      const created = await withRetry(() => ensureTopics(transport, plan.topology), {
        onRetry: (err, attempt, delayMs) => logger.warn({ err, attempt, delayMs }, 'transient broker error creating topics; retrying'),
      });
      if (created.length > 0) logger.info({ topics: created }, 'created topics');
      for (const warning of scheduleWarnings(plan)) logger.warn({ topology: plan.topology.name }, warning);
      const runner = await Coordinator.#startRunner(options, plan, selected, transport, admin, brokers);
      coordinator = new Coordinator(options, plan, selected, transport, admin, runner, http);
      coordinator.#poll();
      return coordinator;
    } catch (err) {
      await Promise.allSettled([http?.close(), transport.close(), admin.close()]);
      throw err;
    }
  }

  static async #startRunner(
    options: CoordinatorOptions,
    plan: TopologyPlan,
    selected: StagePlan[],
    transport: Transport,
    admin: ClusterAdmin,
    brokers: string[],
  ): Promise<StageRunner> {
    if (transport.kind === 'kafka') {
      await emptyOverwrittenFiles(selected.map((s) => s.node));
      return new Supervisor({
        plan,
        selected,
        brokers,
        ...(options.security !== undefined ? { security: options.security } : {}),
        ...(options.client !== undefined ? { client: options.client } : {}),
        admin,
        logger: options.logger,
        isolation: options.isolation ?? 'thread',
        policy: { ...defaultRestartPolicy, ...options.restartPolicy },
        untilCaughtUp: options.untilCaughtUp ?? false,
        fromStart: options.fromStart ?? false,
        stateDir: options.stateDir,
        commitIntervalMs: options.commitIntervalMs,
        sessionTimeoutMs: options.sessionTimeoutMs,
        keyFile: options.keyFile,
        schemaRegistry: options.schemaRegistry,
        random: options.random,
      });
    }
    const { namespace, untilCaughtUp, fromStart, stateDir, commitIntervalMs, keyFile, schemaRegistry, env, stdin, stdout } = options;
    return InProcessRunner.start({ topology: options.topology, transport, logger: options.logger, nodes: selected.map((s) => s.stage), namespace, untilCaughtUp, fromStart, stateDir, commitIntervalMs, keyFile, schemaRegistry, env, stdin, stdout });
  }

  /**
   * Binds the HTTP server before any stage runs; until the coordinator exists
   * (a moment) its answers say it is starting. A port given with `--port`
   * that is taken is fatal; the default port's case only loses HTTP.
   */
  static async #listen(options: CoordinatorOptions, plan: TopologyPlan, current: () => Coordinator | undefined): Promise<HttpServer | undefined> {
    const http = options.http;
    if (http === undefined) return undefined;
    const starting: Probe = { ok: false, status: 'starting' };
    const pollMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    let page: Promise<string> | undefined;
    const source: HttpSource = {
      health: () => current()?.health() ?? starting,
      ready: () => current()?.ready() ?? starting,
      status: async () => {
        const c = current();
        return c === undefined ? starting : c.#statusDocument();
      },
      metrics: async () => {
        const c = current();
        if (c === undefined) return { contentType: 'text/plain; version=0.0.4; charset=utf-8', body: '' };
        if (c.#snapshot === undefined) await c.refresh();
        return { contentType: c.metrics.contentType, body: await c.metrics.text() };
      },
      page: () => (page ??= renderGraph(plan.source, 'svg').then((svg) => statusPage(plan.source.name, svg, pollMs))),
      trigger: (node) => current()?.trigger(node) ?? { accepted: false, reason: 'the coordinator is starting' },
      query: async (node, store, key) => current()?.query(node, store, key) ?? { status: 503, body: { error: 'the coordinator is starting', code: ErrorCodes.STORE_UNAVAILABLE } },
    };
    const host = http.host ?? '127.0.0.1';
    try {
      return await startHttpServer(source, { ...http, host });
    } catch (err) {
      if (isSluiceError(err)) throw err;
      if (http.required !== false || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') {
        throw new SluiceError(ErrorCodes.CLI_USAGE, `cannot serve HTTP on ${host}:${http.port}: ${(err as Error).message}`, { cause: err });
      }
      options.logger.warn({ port: http.port }, 'port in use: running without the HTTP status server (give --port)');
      return undefined;
    }
  }

  get #pollMs(): number {
    return this.#options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  }

  #poll(): void {
    this.#timer = setInterval(() => {
      this.refresh().catch((err: unknown) => this.#logger.warn({ err }, 'monitor sample failed; trying again next interval'));
    }, this.#pollMs);
    this.#timer.unref();
  }

  /** The bound HTTP server, when one was asked for and the port was free. */
  get http(): HttpServer | undefined {
    return this.#http;
  }

  /** Takes a sample now; concurrent callers share it. */
  refresh(): Promise<StatusSnapshot> {
    this.#sampling ??= this.#takeSample().finally(() => (this.#sampling = undefined));
    return this.#sampling;
  }

  async #takeSample(): Promise<StatusSnapshot> {
    const started = performance.now();
    const sample = await sampleCluster(this.#admin, this.plan);
    this.metrics.observePoll((performance.now() - started) / 1_000);
    const local = this.#runner.local();
    const snapshot = statusOf(
      {
        plan: this.plan,
        sample,
        ...(this.#sample !== undefined ? { previous: this.#sample } : {}),
        local,
        ...(this.#local !== undefined ? { localBefore: this.#local } : {}),
      },
      this.#transport.kind,
    );
    this.#sample = sample;
    this.#local = local;
    this.#snapshot = snapshot;
    this.metrics.update(snapshot);
    for (const alert of this.#alerts.observe(snapshot)) {
      this.#logger.warn({ alert: alert.kind, topology: snapshot.topology, stage: alert.stage, ...alert.details }, alert.message);
    }
    return snapshot;
  }

  /** The latest status, without sampling. */
  get status(): StatusSnapshot | undefined {
    return this.#snapshot;
  }

  async #statusDocument(): Promise<unknown> {
    const snapshot = this.#snapshot ?? (await this.refresh());
    return { ...snapshot, health: this.health(), annotations: annotationsOf(this.plan, snapshot), restoring: restoringLines(snapshot) };
  }

  health(): Probe {
    const failed = this.#runner.failures();
    return { ok: failed.length === 0, status: failed.length === 0 ? 'ok' : 'failed', failed };
  }

  /** Every stage this process runs continuously has all its instances running, and its group is stable. */
  ready(): Probe {
    const local = this.#runner.local();
    const waiting: string[] = [];
    for (const stage of this.selected) {
      const l = local.get(stage.stage);
      if (l === undefined) continue;
      if (l.state === 'failed') waiting.push(`${stage.stage}: failed`);
      else if (stage.trigger.kind === 'always' && l.running < l.instances && l.state !== 'finished') waiting.push(`${stage.stage}: ${l.running}/${l.instances} running`);
      const group = this.#snapshot?.stages.find((s) => s.stage === stage.stage)?.groupState;
      if (stage.trigger.kind === 'always' && l.state === 'running' && group !== undefined && group !== null && group !== 'Stable') {
        waiting.push(`${stage.stage}: group ${group}`);
      }
    }
    return { ok: waiting.length === 0, waiting };
  }

  trigger(node: string): TriggerResult {
    return this.#runner.trigger(node);
  }

  /** An interactive query: what `store` of `node` (as written, or a stage id as run) holds for `key`, or who holds it. */
  query(node: string, store: string, key: string): Promise<QueryReply> {
    return queryReply(this.plan, (target, k, partition) => this.#runner.query(target, k, partition), node, store, key);
  }

  /** The instance slots of a stage (Kafka only), for fault drills and tests. */
  instances(stage: string): readonly StageInstance[] {
    return this.#runner instanceof Supervisor ? this.#runner.instances(stage) : [];
  }

  /** Graceful: stages drain and commit; `done` resolves once they have. */
  stop(): void {
    this.#runner.stop();
  }

  /** After `done`: stops monitoring and serving, and closes connections. */
  async close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.#sampling?.catch(() => undefined);
    await this.#http?.close();
    await Promise.allSettled([this.#transport.close(), this.#admin.close()]);
  }
}

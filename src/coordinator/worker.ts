/**
 * A stage instance's own thread or process: loads the topology file, builds
 * the one Stage it was given, runs it and reports to the coordinator. A
 * `stop` drains and commits (graceful); the stage's end, graceful or not,
 * ends the thread or process, whose exit code the coordinator reads.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ErrorCodes, SluiceError, createLogger, isSluiceError } from '../core/index.ts';
import { Stage, TopologyResources, unstartedReport, type StageReport } from '../runtime/index.ts';
import { loadTopology, physicalTopology } from '../topology/index.ts';
import { createTransport } from '../transport/index.ts';
import { PARAMS_ENV, REPORT_INTERVAL_MS, type ControlMessage, type InstanceMessage, type InstanceParams } from './protocol.ts';
import { answerQuery, keyPartition, restoresOf } from './query.ts';

interface Channel {
  params: InstanceParams;
  send(message: InstanceMessage): Promise<void>;
  onControl(handler: (message: ControlMessage) => void): void;
}

function channel(): Channel {
  if (parentPort !== null) {
    const port = parentPort;
    return {
      params: (workerData as { params: InstanceParams }).params,
      send: async (message) => port.postMessage(message),
      onControl: (handler) => port.on('message', handler),
    };
  }
  const params = JSON.parse(process.env[PARAMS_ENV] ?? '{}') as InstanceParams;
  // Read once; nothing this process starts needs the credentials in it.
  delete process.env[PARAMS_ENV];
  return {
    params,
    send: (message) => new Promise<void>((resolve) => (process.connected ? process.send!(message, undefined, {}, () => resolve()) : resolve())),
    onControl: (handler) => {
      process.on('message', handler);
      // The coordinator is gone: stop as a signal would ask.
      process.on('disconnect', () => handler({ type: 'stop' }));
    },
  };
}

function failure(err: unknown): { message: string; code?: string } {
  return { message: err instanceof Error ? err.message : String(err), ...(isSluiceError(err) ? { code: err.code } : {}) };
}

function crashed(err: unknown, report?: StageReport): InstanceMessage {
  return { type: 'crashed', ...failure(err), ...(report !== undefined ? { report } : {}) };
}

async function main({ params, send, onControl }: Channel): Promise<number> {
  // A stop may come while the stage is still being built (a cron run that was already caught up).
  let stage: Stage | undefined;
  let early: ControlMessage | undefined;
  // Queries before the stage is built find nothing held here: the coordinator asks the group instead.
  let answer: (id: number, store: string, key: string) => InstanceMessage = (id) => ({ type: 'answer', id, error: { message: 'the stage is starting' } });
  const apply = (message: ControlMessage) => (message.type === 'stop' ? stage!.stop() : message.type === 'crash' ? stage!.crash(message.reason) : undefined);
  onControl((message) => {
    if (message.type === 'query') void send(answer(message.id, message.store, message.key));
    else if (stage !== undefined) apply(message);
    else early ??= message;
  });
  const logger = createLogger({ instance: `${params.stage}#${params.instance}` }, { level: params.logLevel });
  const source = await loadTopology(params.file);
  const topology = physicalTopology(source, params.namespace);
  const node = topology.nodes.find((n) => n.id === params.stage);
  if (node === undefined) throw new SluiceError(ErrorCodes.CLI_USAGE, `no stage \`${params.stage}\` in ${params.file}`);
  const transport = createTransport({
    brokers: params.brokers,
    clientId: params.clientId,
    logger,
    ...(params.security !== undefined ? { security: params.security } : {}),
    ...(params.client !== undefined ? { client: params.client } : {}),
  });
  logger.info({ client: transport.client }, 'stage instance starting');
  const resources = await TopologyResources.load(topology, {
    env: process.env,
    keyFile: params.keyFile,
    ...(params.schemaRegistry !== undefined ? { schemaRegistry: params.schemaRegistry } : {}),
  });
  // Stopped before it joined its group (an instance scaled away while it started): joining only to
  // leave again would make every other member of the group rebalance twice for nothing.
  if (early?.type === 'stop') {
    await transport.close();
    await send({ type: 'finished', report: unstartedReport(node) });
    return 0;
  }
  stage = await Stage.create({
    topology,
    node,
    transport,
    resources,
    logger,
    commitIntervalMs: params.commitIntervalMs,
    sessionTimeoutMs: params.sessionTimeoutMs,
    ...(params.fromStart === true ? { fromStart: true } : {}),
    stateDir: params.stateDir,
  });
  const built = stage;
  answer = (id: number, store: string, key: string): InstanceMessage => {
    try {
      return { type: 'answer', id, answer: answerQuery(built, store, key, keyPartition(topology, node, key)) };
    } catch (err) {
      return { type: 'answer', id, error: failure(err) };
    }
  };
  if (early !== undefined) apply(early);
  const reporting = setInterval(() => void send({ type: 'report', report: built.report(), partitions: built.partitions, restores: restoresOf(built) }), REPORT_INTERVAL_MS);
  await send({ type: 'started' });
  const running = stage.run();
  try {
    const report = await running;
    clearInterval(reporting);
    await transport.close();
    await send({ type: 'finished', report });
    return 0;
  } catch (err) {
    clearInterval(reporting);
    await running.catch(() => undefined);
    await transport.close().catch(() => undefined);
    await send(crashed(err, stage.report()));
    return 1;
  }
}

const link = channel();
const code = await main(link).catch(async (err: unknown) => {
  // Failed before the stage ran (bad file, broker away): the coordinator learns why.
  await link.send(crashed(err));
  return 1;
});
// Whatever a client library left scheduled must not keep a finished instance alive.
process.exit(code);

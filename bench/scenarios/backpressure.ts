/**
 * Scenario 6, backpressure and memory: the one-hop stage over a backlog of
 * 1,000,000 records, once with a processor that paces it to half the
 * sustainable rate (the newest one-hop figure) as its last step before the
 * sink, once unthrottled. Each run is a child process sampling its own RSS
 * every 100 ms. Goals: the throttled stage keeps up with its pace (≥ 0.95x),
 * and its peak RSS stays within 1.5x of the unthrottled run's and under an
 * absolute bound, with a flat slope over the last half (bounded, not leaking).
 *
 *     npx tsx bench/scenarios/backpressure.ts [--quick] [--rounds 5] [--backlog 1000000] [--seconds 12] [--rate N]
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createCodecChain } from '../../src/codecs/index.ts';
import { scenarioArgs } from '../harness/args.ts';
import { answer, runChild } from '../harness/child.ts';
import { brokerVersion, fillWithEvents, freshName } from '../harness/kafka.ts';
import { machine } from '../harness/machine.ts';
import { eventSchema } from '../harness/records.ts';
import { figure, finish, latestResult, versus } from '../harness/report.ts';
import { alternate, type Sample } from '../harness/rounds.ts';
import { finished, hopTopology, kafkaTransport, startTopology } from '../harness/topology.ts';

/** Peak RSS a throttled stage may reach, whatever the backlog: the bound this scenario states. */
const RSS_BOUND_MB = 400;
const FALLBACK_RATE = 10_000;
const PARTITIONS = 3;
const self = fileURLToPath(import.meta.url);

/**
 * A processor that lets records through at `rate` per second at most: the
 * slow sink's pace. Time it fell behind is not made up later beyond 50 ms (a
 * slow sink does not get faster after a stall).
 */
function pacer(rate: number): string {
  return `import { setTimeout as sleep } from 'node:timers/promises';
import { defineProcessor } from 'sluice';
const interval = 1000 / ${rate};
let next = 0;
export default defineProcessor(async (value) => {
  const now = performance.now();
  next = Math.max(next, now - 50) + interval;
  if (next - now >= 1) await sleep(next - now);
  return value;
});
`;
}

/** Least-squares slope of RSS (MB) over time (s). */
function slope(points: readonly { t: number; mb: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mt = points.reduce((s, p) => s + p.t, 0) / n;
  const mm = points.reduce((s, p) => s + p.mb, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t - mt) * (p.mb - mm);
    den += (p.t - mt) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** The child: runs the stage for `seconds`, sampling RSS, and answers with its figures. */
async function stage(input: string, rate: number, seconds: number): Promise<Sample> {
  const transport = kafkaTransport();
  const paced = rate > 0;
  const dir = hopTopology({
    from: input,
    to: freshName('backpressure.out'),
    partitions: PARTITIONS,
    ...(paced ? { extraSteps: ['./processors/pace.ts'], files: { 'processors/pace.ts': pacer(rate) } } : {}),
  });
  const started = performance.now();
  const rss: { t: number; mb: number }[] = [];
  // Heap and Buffer memory beside RSS: RSS also counts what V8 and the allocator keep after freeing.
  let peakHeap = 0;
  let peakBuffers = 0;
  const sampleRss = () => {
    const m = process.memoryUsage();
    rss.push({ t: (performance.now() - started) / 1_000, mb: m.rss / 2 ** 20 });
    peakHeap = Math.max(peakHeap, m.heapUsed / 2 ** 20);
    peakBuffers = Math.max(peakBuffers, m.arrayBuffers / 2 ** 20);
  };
  sampleRss();
  const timer = setInterval(sampleRss, 100);
  // Garbage-collection pauses stop the stage: a long one is time the paced step cannot make up.
  let gcMs = 0;
  let gcMaxMs = 0;
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcMs += entry.duration;
      gcMaxMs = Math.max(gcMaxMs, entry.duration);
    }
  });
  gc.observe({ entryTypes: ['gc'] });
  const run = await startTopology(dir, { transport, untilCaughtUp: false });
  const written = () => run.stages[0]!.report().written;
  // The pace settles once the consumer has filled its buffer: count from a quarter in.
  await new Promise((r) => setTimeout(r, seconds * 250));
  const from = { at: performance.now(), written: written() };
  await new Promise((r) => setTimeout(r, seconds * 750));
  const to = { at: performance.now(), written: written() };
  clearInterval(timer);
  gc.disconnect();
  run.stop();
  await finished(run);
  await transport.close();
  const lastHalf = rss.filter((p) => p.t >= rss[rss.length - 1]!.t / 2);
  return {
    recordsPerSecond: (to.written - from.written) / ((to.at - from.at) / 1_000),
    startRssMB: rss[0]!.mb,
    peakRssMB: Math.max(...rss.map((p) => p.mb)),
    lastHalfSlopeMBPerS: slope(lastHalf),
    peakHeapUsedMB: peakHeap,
    peakArrayBuffersMB: peakBuffers,
    gcShare: gcMs / ((performance.now() - started) / 1_000) / 1_000,
    longestGcMs: gcMaxMs,
  };
}

if (process.argv.includes('--stage')) {
  const { values } = parseArgs({ options: { stage: { type: 'boolean' }, input: { type: 'string' }, rate: { type: 'string' }, seconds: { type: 'string' } } });
  answer(await stage(values.input!, Number(values.rate), Number(values.seconds)));
  process.exit(0);
}

const args = scenarioArgs({ backlog: { full: 1_000_000, quick: 100_000 }, seconds: { full: 12, quick: 3 }, rate: { full: 0, quick: 0 } });
const oneHop = latestResult('one-hop', args.quick)?.rows[0]?.sluice;
const RATE = args.rate > 0 ? args.rate : oneHop !== undefined ? Math.round(oneHop / 2) : FALLBACK_RATE;
const machineInfo = machine(brokerVersion());

const chain = createCodecChain('avro', { schema: eventSchema() });
const input = freshName('backpressure.in');
await fillWithEvents(input, PARTITIONS, args.backlog, chain);

const child = (rate: number) => () => runChild<Sample>(self, ['--stage', '--input', input, '--rate', String(rate), '--seconds', String(args.seconds)]);
// Every run is a fresh process, cold as a real start: no warm-up round.
const rounds = await alternate(
  [
    { name: `paced to ${RATE.toLocaleString('en')}/s`, round: child(RATE) },
    { name: 'unthrottled', round: child(0) },
  ],
  { rounds: args.rounds, warmup: false },
);
const paced = Object.values(rounds)[0]!.median;
const free = rounds['unthrottled']!.median;
finish({
  scenario: 'backpressure',
  title: `backpressure: one hop paced to ${RATE.toLocaleString('en')} records/s (half the sustainable rate) over a ${args.backlog.toLocaleString('en')}-record backlog`,
  machine: machineInfo,
  quick: args.quick,
  params: {
    backlog: args.backlog,
    pacedPerSecond: RATE,
    rateFrom: args.rate > 0 ? '--rate' : oneHop !== undefined ? 'half of the newest one-hop sluice figure' : 'fallback',
    seconds: args.seconds,
    rounds: args.rounds,
    measure: 'records/s acknowledged from a quarter of the run to its end; RSS of the stage process every 100 ms',
  },
  rows: [
    versus('throughput vs the pace', 'records/s', paced.recordsPerSecond!, 'pace', RATE, { min: 0.95 }),
    versus('peak RSS, paced vs unthrottled', 'MB', paced.peakRssMB!, 'unthrottled', free.peakRssMB!, { max: 1.5 }),
    figure('peak RSS, paced', 'MB', paced.peakRssMB!, { max: RSS_BOUND_MB }),
    figure('RSS slope over the last half, paced', 'MB/s', paced.lastHalfSlopeMBPerS!),
    figure('RSS slope over the last half, unthrottled', 'MB/s', free.lastHalfSlopeMBPerS!),
    figure('unthrottled throughput', 'records/s', free.recordsPerSecond!),
    figure('RSS before the stage started', 'MB', paced.startRssMB!),
    versus('peak V8 heap used, paced vs unthrottled', 'MB', paced.peakHeapUsedMB!, 'unthrottled', free.peakHeapUsedMB!),
    versus('peak Buffer memory, paced vs unthrottled', 'MB', paced.peakArrayBuffersMB!, 'unthrottled', free.peakArrayBuffersMB!),
    versus('share of time in GC pauses, paced vs unthrottled', 'x', paced.gcShare!, 'unthrottled', free.gcShare!),
    versus('longest GC pause, paced vs unthrottled', 'ms', paced.longestGcMs!, 'unthrottled', free.longestGcMs!),
  ],
  rounds,
});

/**
 * Scenario 8, the soak (`npm run test:soak`, not in CI; SOAK_MINUTES, default
 * 20): continuous load through `in → first → mid → second → out` with the
 * sink stage slowed 10x and periodic pauses, watching memory and lag.
 *
 * - Slowed sink: `second` (the stage writing the pipeline's output) runs a
 *   processor module (processors/second.ts, swapped into the harness'
 *   topology for its built-in `map: { set: { hops: 2 } }`) that waits
 *   9/C seconds per record, C being the rate `second` drained a backlog at
 *   unthrottled, measured at the start of the same run. Each record thus
 *   costs ten times its unthrottled time (the waits are taken in sleeps of
 *   about 20 ms, overshoot credited), like a sink on a slow database. Both
 *   rates are measured and reported: C on a 60,000-record backlog of `mid`,
 *   the slowed rate on a 20-second backlog.
 * - Load: the feeder sends at half the measured slowed rate, every 100 ms,
 *   for the whole soak, so the sink is busy about half the time and has the
 *   other half to catch up after a pause.
 * - Pause/resume: every minute (a sixth of the soak when shorter), in
 *   rotation: SIGSTOP of the `second` process for 4 s then SIGCONT; the same
 *   for `first`; the feeder stopped for 10 s and resumed. 4 s is below the
 *   10 s session timeout (heartbeats every 3 s), so a paused instance is
 *   meant to keep its partitions; member changes are reported, not asserted.
 * - Memory: per instance (one `sluice run --node first|second` process each,
 *   stage in a worker thread), the process' RSS every second, the stage
 *   worker's heap every second and the coordinator's heap every 2 s (see
 *   harness/memory.ts). After a warm-up (3 minutes; a quarter of a soak
 *   shorter than 10 minutes), a least-squares line is fitted to each series
 *   over the rest of the soak; its rise from the end of warm-up to the end
 *   must be < 10% of its value at the end of warm-up. Also reported, not
 *   asserted: the mean and the minimum of the first minute after warm-up
 *   against the last minute. One-minute means were the first criterion and
 *   proved to measure GC phase, not growth: in the first 20-minute run the
 *   stage heaps' minute means swung between 29 and 57 MB from one minute to
 *   the next after warm-up (+13% for one instance, −32% for the other
 *   between the two compared minutes) while their minute minima stayed
 *   between 21 and 32 MB with no trend; the fitted line uses all ~1,000
 *   samples and is not thrown by where the major GCs fall. The memory verdict needs at least 10 minutes
 *   after warm-up: a shorter run (SOAK_MINUTES=2, to try the machinery)
 *   reports the figures and asserts everything else.
 * - Lag: both groups' lag (high watermark − committed) every 5 s; bounded
 *   by 30 s of input (30 × the feed rate) at every sample.
 * - Also: no alarm line on any stderr (unhandled rejections,
 *   MaxListenersExceededWarning, OOM), no stage crash, and the checker: 0 lost.
 *
 * Results: a 20-minute (or longer) run appends one line (summary and
 * samples) to bench/results/soak.jsonl and draws bench/results/soak-rss.png;
 * a shorter run writes the same to test-results/ instead.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { brokers } from '../integration/harness/kafka.ts';
import { killAll, type Instance } from './harness/instances.ts';
import { MemorySampler, PROBE_MODULE, readProbe, scrape, statusUrlOf } from './harness/memory.ts';
import { lag, waitFor } from './harness/pipeline.ts';
import { renderPng, type Series } from './harness/plot.ts';
import { Scenario } from './harness/scenario.ts';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 20);
const SOAK_MS = MINUTES * 60_000;
const WARMUP_MS = MINUTES >= 10 ? 3 * 60_000 : SOAK_MS / 4;
const WINDOW_MS = Math.min(60_000, (SOAK_MS - WARMUP_MS) / 3);
const PAUSE_EVERY_MS = Math.min(60_000, SOAK_MS / 6);
const STOP_MS = 4_000;
const FEEDER_PAUSE_MS = 10_000;
const SESSION_MS = 10_000;
const SLOWDOWN = 10;
const LOAD_FRACTION = 0.5;
const GROWTH_LIMIT = 0.1;
/** Over less than this after warm-up, a line through a GC sawtooth says little: figures reported, not asserted. */
const JUDGE_MEMORY = SOAK_MS - WARMUP_MS >= 10 * 60_000;
const LAG_BOUND_S = 30;
const CALIBRATION_RECORDS = 60_000;
const SLOWED_BURST_S = 20;

const repo = fileURLToPath(new URL('../../', import.meta.url));
const OUT_DIR = MINUTES >= 20 ? join(repo, 'bench/results') : join(repo, 'test-results');

const EVENT = '{ id: number; seq: number; hops: number }';

const FIRST = `import { defineProcessor } from 'sluice';
import { probe } from './probe.ts';
export default defineProcessor<${EVENT}>((v) => {
  probe();
  return { ...v, hops: 1 };
});`;

/** Waits SOAK_SINK_DELAY_US per record, in sleeps of ~20 ms; time overslept is credited (down to one sleep's worth). */
const SECOND = `import { defineProcessor } from 'sluice';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { probe } from './probe.ts';
const delayUs = Number(process.env.SOAK_SINK_DELAY_US ?? 0);
let owedUs = 0;
export default defineProcessor<${EVENT}>((v) => {
  probe();
  const out = { ...v, hops: 2 };
  if (delayUs <= 0) return out;
  owedUs += delayUs;
  if (owedUs < 20_000) return out;
  const t = performance.now();
  return sleep(owedUs / 1000).then(() => {
    owedUs = Math.max(owedUs - (performance.now() - t) * 1000, -20_000);
    return out;
  });
});`;

afterEach(killAll);

type Points = Array<[number, number]>;

function meanIn(points: Points, from: number, to: number): number | undefined {
  const xs = points.filter(([t]) => t >= from && t <= to).map(([, v]) => v);
  return xs.length === 0 ? undefined : xs.reduce((a, b) => a + b, 0) / xs.length;
}

function minIn(points: Points, from: number, to: number): number | undefined {
  const xs = points.filter(([t]) => t >= from && t <= to).map(([, v]) => v);
  return xs.length === 0 ? undefined : Math.min(...xs);
}

/** The least-squares line through the points in [from, to], at `from` and at `to`. */
function trend(points: Points, from: number, to: number): { start: number; end: number } | undefined {
  const pts = points.filter(([t]) => t >= from && t <= to);
  if (pts.length < 2) return undefined;
  const mx = pts.reduce((n, [t]) => n + t, 0) / pts.length;
  const my = pts.reduce((n, [, y]) => n + y, 0) / pts.length;
  const sxx = pts.reduce((n, [t]) => n + (t - mx) ** 2, 0);
  const slope = sxx === 0 ? 0 : pts.reduce((n, [t, y]) => n + (t - mx) * (y - my), 0) / sxx;
  return { start: my + slope * (from - mx), end: my + slope * (to - mx) };
}

const MB = 1024 * 1024;
const round = (v: number, digits = 1) => Number(v.toFixed(digits));

function git(...args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

describe('scenario 8: soak', () => {
  it(`holds memory and lag over ${MINUTES} minutes of load with a 10x slowed sink and pauses`, async () => {
    // `second` runs the slow-sink module instead of its built-in map.
    const s = await Scenario.open({
      brokers: brokers(),
      prefix: 'soak',
      guarantee: 'at-least-once',
      processor: FIRST,
      secondProcessor: SECOND,
      files: { 'processors/probe.ts': PROBE_MODULE },
      sessionTimeoutMs: SESSION_MS,
    });
    const probeDir = join(repo, 'test-results', `${s.namespace}probe`);
    mkdirSync(probeDir, { recursive: true });
    const probeFile = (label: string) => join(probeDir, `${label}.jsonl`);
    let stopFeeding = false;
    let sampling = false;
    let feeding: Promise<void> | undefined;
    let lagging: Promise<void> | undefined;
    let sampler: MemorySampler | undefined;
    try {
      const ends = async (topic: string) => (await s.admin.fetchTopicOffsets(s.topic(topic))).reduce((n, e) => n + Number(e.high), 0);
      /** Records/s at which `topic` grew from `base + 10%` to `base + 90%` of `count` (polled every 100 ms). */
      const drainRate = async (topic: string, base: number, count: number, timeoutMs: number): Promise<number> => {
        let t10 = 0;
        let n10 = 0;
        let t90 = 0;
        let n90 = 0;
        const ok = await waitFor(
          async () => {
            const n = (await ends(topic)) - base;
            if (t10 === 0 && n >= count * 0.1) [t10, n10] = [performance.now(), n];
            if (n >= count * 0.9) [t90, n90] = [performance.now(), n];
            return t90 > 0;
          },
          timeoutMs,
          100,
        );
        expect(ok, `${topic} did not take ${count} records within ${timeoutMs} ms`).toBe(true);
        expect(t90 - t10, `${topic} took ${count} records too fast to measure a rate: make the backlog larger`).toBeGreaterThan(1_000);
        return ((n90 - n10) * 1000) / Math.max(1, t90 - t10);
      };

      // Calibration 1: `second` unthrottled, draining a backlog of `mid` that `first` wrote before it started.
      const first = s.start('first', undefined, { env: { SOAK_PROBE_FILE: probeFile('first') } });
      await s.feeder.send(CALIBRATION_RECORDS);
      expect(await waitFor(async () => (await ends('mid')) >= CALIBRATION_RECORDS, 180_000, 250), '`first` did not pass the calibration records').toBe(true);
      const calibrating = s.start('second', undefined, { env: { SOAK_SINK_DELAY_US: '0' } });
      const unthrottled = await drainRate('out', 0, CALIBRATION_RECORDS, 180_000);
      expect(await waitFor(async () => (await ends('out')) >= CALIBRATION_RECORDS, 60_000, 250)).toBe(true);
      await calibrating.stop();

      // Calibration 2: the soak's `second`, each record costing ten times its unthrottled time, on a 20-second backlog.
      const delayUs = Math.round(((SLOWDOWN - 1) * 1e6) / unthrottled);
      const second = s.start('second', 1, { env: { SOAK_SINK_DELAY_US: String(delayUs), SOAK_PROBE_FILE: probeFile('second') } });
      const burst = Math.round((unthrottled / SLOWDOWN) * SLOWED_BURST_S);
      const outBefore = await ends('out');
      await s.feeder.send(burst);
      const slowedRate = await drainRate('out', outBefore, burst, 300_000);
      expect(await waitFor(async () => (await ends('out')) >= outBefore + burst, 120_000, 250)).toBe(true);
      const feedRate = Math.max(1, Math.round(slowedRate * LOAD_FRACTION));
      const lagBound = feedRate * LAG_BOUND_S;
      const fedBefore = s.feeder.sent.length;
      console.log(`[soak] second unthrottled ${Math.round(unthrottled)} records/s; slowed (${delayUs} µs per record) ${Math.round(slowedRate)} records/s; feeding ${feedRate} records/s for ${MINUTES} min`);

      // The soak.
      const targets = (): Array<{ label: string; instance: Instance }> => [
        { label: 'first', instance: first },
        { label: 'second', instance: second },
      ];
      const memory = new MemorySampler(targets, ['nodejs_heap_size_used_bytes', 'process_resident_memory_bytes']);
      sampler = memory;
      const t0 = memory.t0;
      const since = () => Date.now() - t0;

      let feederPaused = false;
      feeding = (async () => {
        let owed = 0;
        let last = Date.now();
        while (!stopFeeding) {
          await sleep(100);
          const now = Date.now();
          if (!feederPaused) owed += ((now - last) * feedRate) / 1000;
          last = now;
          const n = Math.floor(owed);
          if (n > 0) {
            await s.feeder.send(n, { batch: n });
            owed -= n;
          }
        }
      })();

      const lags: Array<{ t: number; first: number; second: number }> = [];
      const memberSets = { first: new Set<string>(), second: new Set<string>() };
      sampling = true;
      lagging = (async () => {
        while (sampling) {
          try {
            const [l1, l2, groups] = await Promise.all([
              lag(s.admin, s.group('first'), s.topic('in')),
              lag(s.admin, s.group('second'), s.topic('mid')),
              s.admin.describeGroups([s.group('first'), s.group('second')]),
            ]);
            lags.push({ t: since(), first: l1, second: l2 });
            for (const g of groups.groups) {
              const key = g.groupId === s.group('first') ? 'first' : 'second';
              if (g.members.length > 0) memberSets[key].add(g.members.map((m) => m.memberId).sort().join(','));
            }
          } catch {
            // a sample that fails (coordinator busy) is skipped
          }
          await sleep(5_000);
        }
      })();

      const pauses: Array<{ t: number; kind: 'SIGSTOP second' | 'SIGSTOP first' | 'feeder paused'; ms: number }> = [];
      const kinds = ['SIGSTOP second', 'SIGSTOP first', 'feeder paused'] as const;
      for (let k = 1; k * PAUSE_EVERY_MS + FEEDER_PAUSE_MS < SOAK_MS; k++) {
        await sleep(k * PAUSE_EVERY_MS - since());
        const kind = kinds[(k - 1) % kinds.length]!;
        const at = since();
        if (kind === 'feeder paused') {
          feederPaused = true;
          await sleep(FEEDER_PAUSE_MS);
          feederPaused = false;
        } else {
          const victim = kind === 'SIGSTOP second' ? second : first;
          victim.signal('SIGSTOP');
          await sleep(STOP_MS);
          victim.signal('SIGCONT');
        }
        pauses.push({ t: at, kind, ms: since() - at });
      }
      await sleep(SOAK_MS - since());
      stopFeeding = true;
      await feeding;
      const soakEnd = since();
      const total = s.feeder.sent.length;
      const drained = await s.watcher.reach(total, 300_000);
      const drainMs = since() - soakEnd;
      sampling = false;
      await lagging;
      memory.stop();
      const locals = { first: await first.local(), second: await second.local() };
      const counts: Record<string, Record<string, number> | undefined> = {};
      for (const { label, instance } of targets()) counts[label] = await scrape(statusUrlOf(instance)!, ['sluice_records_in_total', 'sluice_records_out_total']);

      // Series, in ms since the soak's start.
      const labels = ['first', 'second'] as const;
      const rss = Object.fromEntries(labels.map((l) => [l, memory.rss.filter((x) => x.label === l).map((x): [number, number] => [x.t, x.rss])])) as Record<string, Points>;
      const coordHeap = Object.fromEntries(
        labels.map((l) => [l, memory.metrics.filter((x) => x.label === l && x.values.nodejs_heap_size_used_bytes !== undefined).map((x): [number, number] => [x.t, x.values.nodejs_heap_size_used_bytes!])]),
      ) as Record<string, Points>;
      const stageHeap = Object.fromEntries(
        labels.map((l) => [l, readProbe(probeFile(l)).map((p): [number, number] => [p.t - t0, p.heapUsed]).filter(([t]) => t >= 0 && t <= soakEnd)]),
      ) as Record<string, Points>;

      const early: [number, number] = [WARMUP_MS, WARMUP_MS + WINDOW_MS];
      const late: [number, number] = [soakEnd - WINDOW_MS, soakEnd];
      interface Growth {
        /** The fitted line at the end of warm-up and at the end, and its rise: asserted. */
        start: number;
        end: number;
        growth: number;
        /** Mean of the first minute after warm-up and of the last minute, and the change: reported. */
        meanStart: number;
        meanEnd: number;
        meanGrowth: number;
        /** Minimum of the same two minutes (for a heap, about what a GC leaves), and the change: reported. */
        floorStart: number;
        floorEnd: number;
        floorGrowth: number;
      }
      const growth: Record<string, Record<string, Growth>> = {};
      const fits: Record<string, Record<string, { start: number; end: number }>> = {};
      const failures: string[] = [];
      for (const l of labels) {
        growth[l] = {};
        fits[l] = {};
        for (const [name, series] of [
          ['rss', rss[l]!],
          ['stageHeap', stageHeap[l]!],
          ['coordinatorHeap', coordHeap[l]!],
        ] as const) {
          const line = trend(series, WARMUP_MS, soakEnd);
          const a = meanIn(series, ...early);
          const b = meanIn(series, ...late);
          const fa = minIn(series, ...early);
          const fb = minIn(series, ...late);
          if (line === undefined || a === undefined || b === undefined || fa === undefined || fb === undefined) {
            failures.push(`${l} ${name}: too few samples after warm-up`);
            continue;
          }
          fits[l]![name] = line;
          growth[l]![name] = {
            start: round(line.start / MB),
            end: round(line.end / MB),
            growth: round(line.end / line.start - 1, 4),
            meanStart: round(a / MB),
            meanEnd: round(b / MB),
            meanGrowth: round(b / a - 1, 4),
            floorStart: round(fa / MB),
            floorEnd: round(fb / MB),
            floorGrowth: round(fb / fa - 1, 4),
          };
        }
      }
      const lagMax = { first: Math.max(0, ...lags.map((x) => x.first)), second: Math.max(0, ...lags.map((x) => x.second)) };
      const lagMean = {
        first: Math.round(lags.reduce((n, x) => n + x.first, 0) / Math.max(1, lags.length)),
        second: Math.round(lags.reduce((n, x) => n + x.second, 0) / Math.max(1, lags.length)),
      };
      const alarms = s.alarms();

      const v = await s.finish();

      const summary = {
        scenario: 'soak',
        at: new Date().toISOString(),
        minutes: MINUTES,
        machine: { cores: cpus().length, load1: round(loadavg()[0]!, 2), node: process.version, commit: git('rev-parse', '--short', 'HEAD'), dirty: git('status', '--porcelain') !== '' },
        params: {
          guarantee: 'at-least-once',
          partitions: 3,
          sessionTimeoutMs: SESSION_MS,
          warmupMs: WARMUP_MS,
          windowMs: WINDOW_MS,
          pauseEveryMs: PAUSE_EVERY_MS,
          stopMs: STOP_MS,
          feederPauseMs: FEEDER_PAUSE_MS,
          growthLimit: GROWTH_LIMIT,
          memoryJudged: JUDGE_MEMORY,
          lagBound,
          measure: 'asserted: rise of the least-squares line from the end of warm-up to the end, relative to its value at the end of warm-up; reported: mean and minimum of the first window after warm-up vs the last window; RSS from /proc every 1 s, stage worker heap (process.memoryUsage in the worker) every 1 s, coordinator heap (/metrics nodejs_heap_size_used_bytes) every 2 s',
        },
        calibration: {
          unthrottledPerSecond: Math.round(unthrottled),
          sinkDelayUs: delayUs,
          slowedPerSecond: Math.round(slowedRate),
          slowdown: round(unthrottled / slowedRate, 2),
          feedPerSecond: feedRate,
          calibrationRecords: fedBefore,
        },
        result: {
          recordsFedDuringSoak: total - fedBefore,
          recordsTotal: total,
          drained,
          drainAfterSoakMs: drainMs,
          stageCounts: counts,
          pauses: pauses.map((p) => ({ t: round(p.t / 1000), kind: p.kind, ms: p.ms })),
          lag: { max: lagMax, mean: lagMean, bound: lagBound, samples: lags.length },
          memberSets: { first: memberSets.first.size, second: memberSets.second.size },
          memory: growth,
          local: locals,
          alarms,
          check: v.summary,
          lost: v.report.lost,
          duplicates: v.report.duplicates,
          markerMs: v.markerMs,
          exitMs: v.exitMs.map((x) => Math.round(x)),
        },
      };
      console.log(`[soak] ${JSON.stringify(summary)}`);
      const toMin = (p: Points, scale = MB): Points => p.map(([t, y]) => [round(t / 60_000, 4), round(y / scale, 2)]);
      const samples = {
        rssMB: { first: toMin(rss.first!), second: toMin(rss.second!) },
        stageHeapMB: { first: toMin(stageHeap.first!), second: toMin(stageHeap.second!) },
        coordinatorHeapMB: { first: toMin(coordHeap.first!), second: toMin(coordHeap.second!) },
        lag: { first: lags.map((x): [number, number] => [round(x.t / 60_000, 4), x.first]), second: lags.map((x): [number, number] => [round(x.t / 60_000, 4), x.second]) },
      };
      mkdirSync(OUT_DIR, { recursive: true });
      appendFileSync(join(OUT_DIR, 'soak.jsonl'), JSON.stringify({ ...summary, samples }) + '\n');

      const pct = (g: number | undefined) => (g === undefined ? '?' : `${g >= 0 ? '+' : ''}${(g * 100).toFixed(1)}%`);
      const colors = { first: '#1f77b4', second: '#d62728' };
      /** Each instance's samples, and the fitted line after warm-up (thick dashed) labelled with its rise. */
      const series = (name: 'rss' | 'stageHeap' | 'coordinatorHeap', data: Record<string, Points>): Series[] =>
        labels.flatMap((l) => {
          const f = fits[l]![name];
          return [
            { label: `${l} (pid ${l === 'first' ? first.pid : second.pid})`, points: toMin(data[l]!), color: colors[l] },
            ...(f === undefined
              ? []
              : [{ label: `${l} trend ${pct(growth[l]![name]!.growth)}`, points: toMin([[WARMUP_MS, f.start], [soakEnd, f.end]]), color: colors[l], dashed: true, width: 3 }]),
          ];
        });
      await renderPng(
        {
          title: `sluice soak: ${MINUTES} min, sink slowed ${round(unthrottled / slowedRate, 1)}x, ${pauses.length} pauses`,
          subtitle:
            `second: ${Math.round(unthrottled)} rec/s unthrottled → ${Math.round(slowedRate)} rec/s slowed; fed ${feedRate} rec/s, ${(total - fedBefore).toLocaleString('en-US')} records; ` +
            `max lag first ${lagMax.first}, second ${lagMax.second}; lost ${v.report.lost}; ${summary.at.slice(0, 16)} UTC, ${summary.machine.commit}`,
          xLabel: 'minutes since the soak started',
          panels: [
            { title: 'RSS of each sluice run process (/proc VmRSS), and its trend after warm-up', yLabel: 'MB', series: series('rss', rss) },
            { title: 'V8 heap used by the stage worker thread (process.memoryUsage in the worker)', yLabel: 'MB', series: series('stageHeap', stageHeap) },
            { title: 'V8 heap used by the coordinator main thread (/metrics nodejs_heap_size_used_bytes)', yLabel: 'MB', height: 200, series: series('coordinatorHeap', coordHeap) },
            { title: 'consumer-group lag (records)', yLabel: 'records', height: 180, series: labels.map((l) => ({ label: `${l} (max ${lagMax[l]})`, points: samples.lag[l], color: colors[l] })) },
          ],
          markers: [{ x: WARMUP_MS / 60_000, label: 'end of warm-up' }],
          bands: [
            { from: early[0] / 60_000, to: early[1] / 60_000, label: 'minute means' },
            { from: late[0] / 60_000, to: late[1] / 60_000, label: 'minute means' },
          ],
          events: pauses.map((p) => ({ x: p.t / 60_000, label: p.kind, color: p.kind === 'SIGSTOP second' ? colors.second : p.kind === 'SIGSTOP first' ? colors.first : '#2ca02c' })),
        },
        join(OUT_DIR, 'soak-rss.png'),
      );
      rmSync(probeDir, { recursive: true, force: true });

      expect.soft(failures).toEqual([]);
      if (JUDGE_MEMORY) for (const l of labels) for (const [name, g] of Object.entries(growth[l]!)) expect.soft(g.growth, `${l} ${name} trend rose ${pct(g.growth)} (${g.start} → ${g.end} MB)`).toBeLessThan(GROWTH_LIMIT);
      expect.soft(alarms.join('\n')).toBe('');
      expect.soft(drained, `output reached ${s.watcher.ids.size} of ${total}`).toBe(true);
      expect.soft(lagMax.first, 'lag of first').toBeLessThanOrEqual(lagBound);
      expect.soft(lagMax.second, 'lag of second').toBeLessThanOrEqual(lagBound);
      expect.soft(locals.first?.crashes ?? 0, 'first crashed').toBe(0);
      expect.soft(locals.second?.crashes ?? 0, 'second crashed').toBe(0);
      expect(v.report.lost, v.summary).toBe(0);
    } finally {
      stopFeeding = true;
      sampling = false;
      sampler?.stop();
      await feeding;
      await lagging;
      await s.close();
    }
  });
});

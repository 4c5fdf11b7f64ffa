/**
 * `npm run bench`: every scenario, each in its own process, against a broker
 * started by scripts/kafka.sh (unless KAFKA_BROKERS names one, or the script's
 * broker already runs), stopped again afterwards if this run started it; then
 * the table of the newest results, which a complete full-size run also writes
 * into bench/README.md and docs/benchmarks.md.
 *
 *     npm run bench [-- SCENARIO ...] [--quick] [--rounds N] [--profile]
 *
 * `--quick` is a smoke run (small sizes, 2 rounds; bench/table.ts leaves its
 * results out). `--profile` writes a V8 CPU profile of each scenario process to
 * .cache/bench-profiles/ (open it in Chrome DevTools or speedscope).
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { repoRoot } from './harness/machine.ts';
import { suite } from './harness/suite.ts';
import { markdownTable, writeTable } from './table.ts';

const exec = promisify(execFile);
const script = `${repoRoot}scripts/kafka.sh`;

const argv = process.argv.slice(2);
const known = new Set(suite.map((s) => s.name));
const names = argv.filter((a) => known.has(a));
const unknown = argv.filter((a, i) => !a.startsWith('--') && !known.has(a) && argv[i - 1]?.startsWith('--') !== true);
if (unknown.length > 0) {
  console.error(`unknown scenario ${unknown.join(', ')}; scenarios: ${[...known].join(', ')}`);
  process.exit(2);
}
const profile = argv.includes('--profile');
/** The rest goes to every scenario: --quick, --rounds N. */
const passed = argv.filter((a) => !known.has(a) && a !== '--profile');
const selected = names.length > 0 ? suite.filter((s) => names.includes(s.name)) : suite.filter((s) => s.onRequest !== true);

async function kafkaScript(cmd: string): Promise<string | undefined> {
  try {
    const { stdout } = await exec('bash', [script, cmd], { timeout: 600_000 });
    return stdout.trim();
  } catch {
    return undefined;
  }
}

let startedBroker = false;
async function ensureBroker(): Promise<void> {
  if (process.env.KAFKA_BROKERS) return;
  const running = await kafkaScript('status');
  if (running !== undefined) {
    process.env.KAFKA_BROKERS = running;
    return;
  }
  console.error('bench: starting a broker with scripts/kafka.sh');
  const started = await kafkaScript('start');
  if (started === undefined) throw new Error('scripts/kafka.sh start failed: run it by hand to see why, or set KAFKA_BROKERS');
  process.env.KAFKA_BROKERS = started;
  startedBroker = true;
}

function runScenario(name: string): Promise<number> {
  const node = ['--import', 'tsx', ...(profile ? ['--cpu-prof', '--cpu-prof-dir', `${repoRoot}.cache/bench-profiles`] : [])];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...node, `${repoRoot}bench/scenarios/${name}.ts`, ...passed], { stdio: 'inherit', env: process.env });
    child.on('close', (code) => resolve(code ?? 1));
  });
}

const failed: string[] = [];
try {
  if (selected.some((s) => s.kafka)) await ensureBroker();
  for (const scenario of selected) {
    console.error(`\n=== ${scenario.name} ===`);
    const started = performance.now();
    const code = await runScenario(scenario.name);
    console.error(`=== ${scenario.name}: ${code === 0 ? 'done' : `FAILED (exit ${code})`} in ${((performance.now() - started) / 1_000).toFixed(0)} s`);
    if (code !== 0) failed.push(scenario.name);
  }
} finally {
  if (startedBroker) await kafkaScript('stop');
}
const quick = passed.includes('--quick');
const table = markdownTable({ quick, only: selected.map((s) => s.name) });
console.log(`\n${table}`);
// A complete full-size run is what the documented table shows.
if (names.length === 0 && !quick && failed.length === 0) writeTable(table);
if (failed.length > 0) {
  console.error(`\nfailed: ${failed.join(', ')}`);
  process.exitCode = 1;
}

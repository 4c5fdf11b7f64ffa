import { readFileSync } from 'node:fs';
const file = process.argv[2];
const p = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = p.timeDeltas; let total = 0;
const counts = new Map();
for (let i = 0; i < p.samples.length; i++) { counts.set(p.samples[i], (counts.get(p.samples[i]) ?? 0) + (dt[i] ?? 0)); total += dt[i] ?? 0; }
const byFile = new Map(); const byFn = new Map();
for (const [id, t] of counts) {
  const n = byId.get(id); const cf = n.callFrame;
  const f = cf.url.replace(/.*node_modules\//, 'nm/').replace(/.*\/work\/main\//, '') || cf.functionName;
  byFile.set(f, (byFile.get(f) ?? 0) + t);
  const fn = `${cf.functionName || '(anon)'} ${f}:${cf.lineNumber}`;
  byFn.set(fn, (byFn.get(fn) ?? 0) + t);
}
const idle = [...counts].filter(([id]) => ['(idle)','(program)'].includes(byId.get(id).callFrame.functionName)).reduce((a, [, t]) => a + t, 0);
console.log(file.split('/').pop(), 'total', (total / 1e6).toFixed(1), 's, busy', ((total - idle) / 1e6).toFixed(1));
const top = (m, n) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, t]) => `  ${(100 * t / (total - idle)).toFixed(1)}% ${k}`).join('\n');
console.log(top(byFile, 14)); console.log('--fns'); console.log(top(byFn, 14));

// Readiness probe for scripts/registry.sh, in Node so the script needs no curl.
//   node scripts/registry-probe.mjs ready URL SECONDS   exits 0 once GET URL answers 200
const [cmd, url, seconds] = process.argv.slice(2);

async function ready(target, secs) {
  const deadline = Date.now() + secs * 1000;
  let last = 'no attempt';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(target, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.ok) return true;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err.cause?.code ?? err.message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  console.error(`${target} did not answer 200 within ${secs}s: ${last}`);
  return false;
}

if (cmd === 'ready' && url) {
  process.exit((await ready(url, Number(seconds ?? 60))) ? 0 : 1);
} else {
  console.error('usage: node scripts/registry-probe.mjs ready URL SECONDS');
  process.exit(2);
}

/**
 * The status page: one static HTML document holding the topology's SVG (as
 * `sluice graph` draws it) and a small script that reads /status every few
 * seconds and writes each annotation next to the SVG element with its id,
 * plus a table of the stages. No framework and no external request: the page
 * works wherever the coordinator's port is reachable.
 */

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Graphviz output starts with an XML declaration and a doctype, neither allowed inside HTML. */
function inlineSvg(svg: string): string {
  const start = svg.indexOf('<svg');
  return start >= 0 ? svg.slice(start) : svg;
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1d2330; }
h1 { font-size: 1.3rem; margin: 0 0 .25rem; }
#health { font-weight: 600; }
#health.failed { color: #b3261e; }
#graph { overflow-x: auto; margin: 1rem 0; }
#graph svg { max-width: 100%; height: auto; }
text.live { font: 10px system-ui, sans-serif; fill: #0b57d0; }
g[data-state=failed] polygon, g[data-state=failed] path { stroke: #b3261e; }
g[data-state=failed] text.live { fill: #b3261e; }
g[data-state=restarting] text.live, g[data-state=starting] text.live { fill: #a05a00; }
g[data-state=idle] text.live, g[data-state=finished] text.live { fill: #5f6368; }
table { border-collapse: collapse; }
th, td { padding: .2rem .7rem; text-align: right; border-bottom: 1px solid #e0e3e8; }
th:first-child, td:first-child { text-align: left; }
`;

/** Runs in the browser: fetches /status and annotates the SVG by element id. */
const SCRIPT = `
const svgNs = 'http://www.w3.org/2000/svg';
const LINE = 11;
/** Room below the drawing for the labels under the lowest nodes. */
function makeRoom() {
  const svg = document.querySelector('#graph svg');
  if (!svg || svg.dataset.roomy) return;
  const box = svg.viewBox.baseVal;
  const extra = 2 * LINE + 6;
  svg.setAttribute('viewBox', box.x + ' ' + box.y + ' ' + box.width + ' ' + (box.height + extra));
  svg.setAttribute('height', (parseFloat(svg.getAttribute('height')) + extra) + 'pt');
  svg.dataset.roomy = 'yes';
}
function label(el, lines) {
  let text = el.querySelector(':scope > text.live');
  if (!text) {
    text = document.createElementNS(svgNs, 'text');
    text.setAttribute('class', 'live');
    text.setAttribute('text-anchor', 'middle');
    const path = el.querySelector('path');
    if (el.classList.contains('edge') && path) {
      const mid = path.getPointAtLength(path.getTotalLength() / 2);
      text.dataset.x = mid.x;
      text.dataset.y = mid.y - 5 - (lines.length - 1) * LINE;
    } else {
      const box = el.getBBox();
      text.dataset.x = box.x + box.width / 2;
      text.dataset.y = box.y + box.height + LINE;
    }
    el.appendChild(text);
  }
  text.textContent = '';
  lines.forEach((line, i) => {
    const span = document.createElementNS(svgNs, 'tspan');
    span.setAttribute('x', text.dataset.x);
    span.setAttribute('y', Number(text.dataset.y) + i * LINE);
    span.textContent = line;
    text.appendChild(span);
  });
}
function fmt(n) { return n === null || n === undefined ? '–' : (Math.abs(n) >= 100 ? String(Math.round(n)) : Number(n).toFixed(1)); }
async function refresh() {
  try {
    const res = await fetch('status', { cache: 'no-store' });
    const status = await res.json();
    makeRoom();
    for (const a of status.annotations) {
      const el = document.getElementById(a.id);
      if (!el) continue;
      label(el, a.lines);
      if (a.state) el.dataset.state = a.state;
    }
    const health = document.getElementById('health');
    health.textContent = status.health.ok ? 'healthy' : 'FAILED: ' + status.health.failed.map((f) => f.stage + '#' + f.instance + ' ' + f.error).join('; ');
    health.className = status.health.ok ? '' : 'failed';
    document.getElementById('updated').textContent = status.at;
    const rows = status.stages.map((s) => '<tr><td>' + s.stage + '</td><td>' + (s.local ? s.local.running + '/' + s.local.instances : s.members.length) +
      '</td><td>' + (s.local ? s.local.state : '') + (s.groupState ? ' (' + s.groupState + ')' : '') + '</td><td class="lag">' + (s.lag === null ? '–' : s.lag) +
      '</td><td>' + fmt(s.inputRate) + '</td><td>' + fmt(s.outputRate) + '</td><td>' + (s.local ? s.local.crashes : '–') +
      '</td><td>' + (s.deadLettered === null ? '–' : s.deadLettered) + '</td></tr>');
    document.getElementById('stages').innerHTML = rows.join('');
    document.getElementById('restoring').textContent = (status.restoring || []).join('\\n');
  } catch (err) {
    document.getElementById('health').textContent = 'coordinator unreachable: ' + err.message;
    document.getElementById('health').className = 'failed';
  }
}
refresh();
setInterval(refresh, REFRESH_MS);
`;

export function statusPage(topology: string, svg: string, refreshMs: number): string {
  const name = escapeHtml(topology);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sluice · ${name}</title><style>${STYLE}</style></head>
<body>
<h1>sluice · ${name}</h1>
<div><span id="health">loading…</span> · updated <span id="updated">–</span></div>
<div id="graph">${inlineSvg(svg)}</div>
<table><thead><tr><th>stage</th><th>instances</th><th>state</th><th>lag</th><th>in/s</th><th>out/s</th><th>errors</th><th>DLQ</th></tr></thead>
<tbody id="stages"></tbody></table>
<pre id="restoring"></pre>
<script>${SCRIPT.replace('REFRESH_MS', String(Math.max(500, Math.round(refreshMs))))}</script>
</body></html>
`;
}

/**
 * Line charts for the reliability reports, as PNG: an inline SVG drawn here
 * (stacked panels sharing one time axis, a legend per panel, vertical
 * markers and shaded bands), screenshotted by headless Chromium through
 * playwright-core. No plotting library: the SVG is plain text.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export interface Series {
  label: string;
  /** [x, y] in the chart's units (x: minutes, y: whatever the panel says). */
  points: Array<[number, number]>;
  color?: string;
  dashed?: boolean;
  /** Stroke width in px (default 1.6). */
  width?: number;
}

export interface Panel {
  title: string;
  yLabel: string;
  series: Series[];
  /** Height in px (default 300). */
  height?: number;
  /** Start the y axis at 0 (default true). */
  zero?: boolean;
}

export interface Chart {
  title: string;
  subtitle?: string;
  xLabel: string;
  panels: Panel[];
  /** Vertical lines across every panel, labelled at the top. */
  markers?: Array<{ x: number; label: string; color?: string }>;
  /** Shaded x ranges across every panel, labelled at the top. */
  bands?: Array<{ from: number; to: number; label: string; color?: string }>;
  /** Small ticks under the x axis of every panel (e.g. fault injections). */
  events?: Array<{ x: number; label: string; color?: string }>;
  width?: number;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const FONT = 'font-family="DejaVu Sans, Arial, sans-serif"';

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** About five round steps covering [lo, hi]. */
function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function fmt(v: number): string {
  if (v === 0) return '0';
  if (Math.abs(v) >= 1000) return v.toLocaleString('en-US', { maximumFractionDigits: 0 });
  return String(Number(v.toPrecision(4)));
}

/** The chart as one SVG document; its size is in the returned `width` and `height`. */
export function chartSvg(chart: Chart): { svg: string; width: number; height: number } {
  const width = chart.width ?? 1200;
  const left = 90;
  const right = 250;
  const plotW = width - left - right;
  const top = chart.subtitle !== undefined ? 100 : 75;
  const gap = 70;
  const all = chart.panels.flatMap((p) => p.series.flatMap((s) => s.points.map((pt) => pt[0])));
  const xs = [...all, ...(chart.markers ?? []).map((m) => m.x), ...(chart.bands ?? []).flatMap((b) => [b.from, b.to])];
  const xMin = Math.min(0, ...xs);
  const xMax = Math.max(xMin + 1e-9, ...xs);
  const xTicks = ticks(xMin, xMax, 10);
  const sx = (x: number) => left + ((x - xMin) / (xMax - xMin)) * plotW;

  const parts: string[] = [];
  parts.push(`<text x="${left}" y="28" ${FONT} font-size="20" font-weight="bold">${esc(chart.title)}</text>`);
  if (chart.subtitle !== undefined) parts.push(`<text x="${left}" y="52" ${FONT} font-size="13" fill="#444">${esc(chart.subtitle)}</text>`);

  let y0 = top;
  chart.panels.forEach((panel, pi) => {
    const h = panel.height ?? 300;
    const ys = panel.series.flatMap((s) => s.points.map((pt) => pt[1])).filter((v) => Number.isFinite(v));
    const lo = panel.zero === false && ys.length > 0 ? Math.min(...ys) : 0;
    const hiRaw = ys.length > 0 ? Math.max(...ys) : 1;
    const yTicks = ticks(lo, hiRaw + (hiRaw - lo) * 0.05 || 1, 5);
    const yMin = Math.min(lo, yTicks[0]!);
    const yMax = Math.max(hiRaw, yTicks[yTicks.length - 1]!, yMin + 1e-9);
    const sy = (y: number) => y0 + h - ((y - yMin) / (yMax - yMin)) * h;

    parts.push(`<text x="${left}" y="${y0 - 10}" ${FONT} font-size="15" font-weight="bold">${esc(panel.title)}</text>`);
    for (const b of chart.bands ?? []) {
      parts.push(`<rect x="${sx(b.from)}" y="${y0}" width="${Math.max(1, sx(b.to) - sx(b.from))}" height="${h}" fill="${b.color ?? '#e8eef8'}"/>`);
      if (pi === 0) parts.push(`<text x="${(sx(b.from) + sx(b.to)) / 2}" y="${y0 + h - 8}" ${FONT} font-size="11" fill="#556" text-anchor="middle">${esc(b.label)}</text>`);
    }
    for (const t of yTicks) {
      parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${sy(t)}" y2="${sy(t)}" stroke="#ddd"/>`);
      parts.push(`<text x="${left - 8}" y="${sy(t) + 4}" ${FONT} font-size="12" text-anchor="end">${fmt(t)}</text>`);
    }
    for (const t of xTicks) {
      parts.push(`<line x1="${sx(t)}" x2="${sx(t)}" y1="${y0}" y2="${y0 + h}" stroke="#eee"/>`);
      parts.push(`<text x="${sx(t)}" y="${y0 + h + 18}" ${FONT} font-size="12" text-anchor="middle">${fmt(t)}</text>`);
    }
    parts.push(`<rect x="${left}" y="${y0}" width="${plotW}" height="${h}" fill="none" stroke="#333"/>`);
    parts.push(`<text transform="translate(${left - 60},${y0 + h / 2}) rotate(-90)" ${FONT} font-size="13" text-anchor="middle">${esc(panel.yLabel)}</text>`);
    parts.push(`<text x="${left + plotW / 2}" y="${y0 + h + 38}" ${FONT} font-size="13" text-anchor="middle">${esc(chart.xLabel)}</text>`);
    for (const e of chart.events ?? []) {
      parts.push(`<path d="M${sx(e.x)},${y0 + h} l-4,7 h8 z" fill="${e.color ?? '#888'}"><title>${esc(e.label)}</title></path>`);
    }
    for (const m of chart.markers ?? []) {
      parts.push(`<line x1="${sx(m.x)}" x2="${sx(m.x)}" y1="${y0}" y2="${y0 + h}" stroke="${m.color ?? '#000'}" stroke-width="1.5" stroke-dasharray="6 4"/>`);
      if (pi === 0) parts.push(`<text x="${sx(m.x) + 4}" y="${y0 + 14}" ${FONT} font-size="11" fill="${m.color ?? '#000'}">${esc(m.label)}</text>`);
    }
    panel.series.forEach((s, si) => {
      const color = s.color ?? PALETTE[si % PALETTE.length]!;
      const pts = s.points.filter((p) => Number.isFinite(p[1]));
      if (pts.length > 0) {
        const d = pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join('');
        parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="${s.width ?? 1.6}"${s.dashed === true ? ' stroke-dasharray="8 4"' : ''}/>`);
      }
      const ly = y0 + 10 + si * 22;
      parts.push(`<line x1="${left + plotW + 15}" x2="${left + plotW + 40}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="3"${s.dashed === true ? ' stroke-dasharray="5 3"' : ''}/>`);
      parts.push(`<text x="${left + plotW + 46}" y="${ly + 4}" ${FONT} font-size="12">${esc(s.label)}</text>`);
    });
    y0 += h + gap;
  });
  const legendRows = chart.events !== undefined && chart.events.length > 0 ? 1 : 0;
  if (legendRows > 0) {
    const colors = new Map((chart.events ?? []).map((e) => [e.label, e.color ?? '#888']));
    let x = left;
    for (const [label, color] of colors) {
      parts.push(`<path d="M${x},${y0 - 18} l-4,7 h8 z" fill="${color}"/><text x="${x + 8}" y="${y0 - 11}" ${FONT} font-size="12">${esc(label)}</text>`);
      x += 20 + label.length * 7;
    }
  }
  const height = y0 - gap + 50 + legendRows * 10;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><rect width="100%" height="100%" fill="#fff"/>${parts.join('')}</svg>`;
  return { svg, width, height };
}

/** Renders the chart to a PNG at `path` with headless Chromium (Debian's /usr/bin/chromium unless CHROMIUM is set). */
export async function renderPng(chart: Chart, path: string): Promise<void> {
  const { svg, width, height } = chartSvg(chart);
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width, height } });
    await page.setContent(`<!doctype html><html><body style="margin:0;background:#fff">${svg}</body></html>`);
    mkdirSync(dirname(path), { recursive: true });
    await page.screenshot({ path, clip: { x: 0, y: 0, width, height } });
  } finally {
    await browser.close();
  }
}

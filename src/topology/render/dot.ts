/**
 * Graphviz DOT. Every node and edge carries `id` and `class`, which Graphviz
 * copies into the SVG it renders, so a status page can find `node-clean` or
 * `topic-users.raw` and annotate it with live figures.
 */
import type { Scene, SceneVertex } from './scene.ts';

const quote = (s: string): string => `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`;

const html = (s: string): string =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

const shapes: Readonly<Record<SceneVertex['kind'], string>> = {
  stage: 'plain',
  topic: 'cylinder',
  source: 'invhouse',
  sink: 'house',
};

function stageLabel(v: SceneVertex): string {
  const rows = [`<tr><td bgcolor="#dbe9f6"><b>${html(v.title)}</b></td></tr>`];
  for (const line of v.lines) rows.push(`<tr><td align="left">${html(line)}</td></tr>`);
  if (v.window !== undefined) rows.push(`<tr><td align="left" bgcolor="#fdebd0">${html(v.window)}</td></tr>`);
  return `<<table border="0" cellborder="1" cellspacing="0" cellpadding="4">${rows.join('')}</table>>`;
}

function vertexLine(v: SceneVertex): string {
  const attrs = [`id=${quote(v.id)}`, `class=${quote(v.classes.join(' '))}`, `shape=${shapes[v.kind]}`];
  if (v.kind === 'stage') attrs.push(`label=${stageLabel(v)}`);
  else attrs.push(`label=${quote(v.title)}`);
  if (v.classes.includes('dead-letter')) attrs.push('style=dashed', 'color="#c0392b"', 'fontcolor="#c0392b"');
  return `  ${quote(v.id)} [${attrs.join(', ')}];`;
}

export function renderDot(scene: Scene): string {
  const lines = [
    `digraph ${quote(scene.name)} {`,
    '  rankdir=LR;',
    '  node [fontname="Helvetica", fontsize=11];',
    '  edge [fontname="Helvetica", fontsize=9];',
    ...scene.vertices.map(vertexLine),
  ];
  for (const e of scene.edges) {
    const attrs = [`id=${quote(e.id)}`, `class=${quote(e.kind)}`];
    if (e.label !== undefined) attrs.push(`label=${quote(e.label)}`);
    // No label: it would sit on the stage box; the dashed red edge and topic say it.
    if (e.kind === 'dead-letter') attrs.push('style=dashed', 'color="#c0392b"');
    lines.push(`  ${quote(e.from)} -> ${quote(e.to)} [${attrs.join(', ')}];`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

/** Mermaid flowchart text, for Markdown files and pull requests. */
import type { Scene, SceneVertex } from './scene.ts';

/**
 * Mermaid ids allow few characters, so everything but letters and digits is
 * written as `_` and its hex code: unambiguous, and stable for the same name.
 */
export function mermaidId(id: string): string {
  return id.replace(/[^A-Za-z0-9]/g, (c) => `_${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Mermaid's own entity codes, so names and conditions never read as markup or end a quoted label. */
const escape = (s: string): string =>
  s.replaceAll('&', '#amp;').replaceAll('"', '#quot;').replaceAll('<', '#lt;').replaceAll('>', '#gt;');

const text = (s: string): string => `"${escape(s)}"`;

function shape(v: SceneVertex): string {
  switch (v.kind) {
    case 'stage': {
      // Only <b> and <br/> are markup; every text part is escaped.
      const body = [...v.lines, ...(v.window !== undefined ? [v.window] : [])].map(escape);
      return `["${[`<b>${escape(v.title)}</b>`, ...body].join('<br/>')}"]`;
    }
    case 'topic':
      return `[(${text(v.title)})]`;
    case 'source':
      return `[/${text(v.title)}/]`;
    case 'sink':
      return `[\\${text(v.title)}\\]`;
  }
}

export function renderMermaid(scene: Scene): string {
  const lines = ['flowchart LR'];
  for (const v of scene.vertices) lines.push(`  ${mermaidId(v.id)}${shape(v)}`);
  for (const e of scene.edges) {
    const from = mermaidId(e.from);
    const to = mermaidId(e.to);
    if (e.kind === 'dead-letter') lines.push(`  ${from} -. dead-letter .-> ${to}`);
    else if (e.label !== undefined) lines.push(`  ${from} -->|${text(e.label)}| ${to}`);
    else lines.push(`  ${from} --> ${to}`);
  }
  lines.push(
    '  classDef window fill:#fdebd0,stroke:#e67e22',
    '  classDef deadLetter stroke:#c0392b,stroke-dasharray:4 2,color:#c0392b',
  );
  const windows = scene.vertices.filter((v) => v.classes.includes('window')).map((v) => mermaidId(v.id));
  const dead = scene.vertices.filter((v) => v.classes.includes('dead-letter')).map((v) => mermaidId(v.id));
  if (windows.length > 0) lines.push(`  class ${windows.join(',')} window`);
  if (dead.length > 0) lines.push(`  class ${dead.join(',')} deadLetter`);
  return lines.join('\n') + '\n';
}

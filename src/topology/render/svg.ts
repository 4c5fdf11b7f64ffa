/** SVG through Graphviz compiled to WebAssembly (@viz-js/viz): no system Graphviz needed. */
import { instance, type Viz } from '@viz-js/viz';
import { ErrorCodes, SluiceError } from '../../core/index.ts';

let viz: Promise<Viz> | undefined;

/** Renders DOT text to SVG. The WebAssembly instance is created once and reused. */
export async function renderSvg(dot: string): Promise<string> {
  viz ??= instance();
  const result = (await viz).render(dot, { format: 'svg' });
  if (result.status !== 'success') {
    const detail = result.errors.map((e) => e.message).join('; ');
    throw new SluiceError(ErrorCodes.TOPOLOGY_INVALID, `Graphviz could not render the graph: ${detail}`);
  }
  // Graphviz writes every `-` in ids and classes as `&#45;`; the plain character
  // is equally valid XML and lets tools find `node-clean` by plain text search.
  return result.output.replaceAll('&#45;', '-');
}

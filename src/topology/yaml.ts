/**
 * Reads YAML (and JSON, which is YAML) defensively: a topology file may come
 * from anyone, so parsing must be bounded before it is trusted. The CST is
 * built first (the parser is iterative) and its nesting measured, because the
 * composer that follows recurses and would overflow the stack on 5,000 levels.
 * The document is then turned into plain data by our own walk, which counts
 * every value (alias bombs expand here, or rather stop here), refuses
 * prototype keys and `<<` merges, and builds objects without a prototype.
 */
import { Composer, LineCounter, Parser, isAlias, isMap, isScalar, isSeq, type CST, type Document, type Node } from 'yaml';
import { ErrorCodes, type ErrorCode } from '../core/index.ts';
import { isForbiddenKey } from '../processors/index.ts';
import type { PathSegment } from './problems.ts';

export interface YamlLimits {
  /** Nesting of collections, counting every map and sequence. */
  maxDepth: number;
  /** Values produced after aliases are expanded. */
  maxValues: number;
  /** Alias uses (`*name`). */
  maxAliases: number;
}

export const defaultYamlLimits: YamlLimits = Object.freeze({ maxDepth: 64, maxValues: 100_000, maxAliases: 100 });

export interface YamlIssue {
  code: ErrorCode;
  message: string;
  offset: number;
  path?: readonly PathSegment[];
  hint?: string;
}

export interface ParsedYaml {
  /** Absent when the text could not be parsed safely at all. */
  doc?: Document.Parsed;
  lineCounter: LineCounter;
  /** Plain data: objects have no prototype, keys are strings. Absent when refused. */
  data?: unknown;
  issues: YamlIssue[];
}

type CstItem = { key?: CST.Token | null; value?: CST.Token | null };

/** The deepest collection nesting in the CST and where it first went past `limit`, without recursion. */
function cstTooDeep(tokens: readonly CST.Token[], limit: number): number | undefined {
  const stack: Array<[CST.Token | null | undefined, number]> = tokens.map((t) => [t, 0]);
  while (stack.length > 0) {
    const [tok, depth] = stack.pop() as [CST.Token | null | undefined, number];
    if (tok === null || tok === undefined) continue;
    if (tok.type === 'document') {
      stack.push([tok.value, depth]);
    } else if (tok.type === 'block-map' || tok.type === 'block-seq' || tok.type === 'flow-collection') {
      if (depth + 1 > limit) return tok.offset;
      for (const item of tok.items as CstItem[]) {
        stack.push([item.key, depth + 1], [item.value, depth + 1]);
      }
    }
  }
  return undefined;
}

/** What the keys of the top-level maps name, for messages about duplicates. */
const collectionNouns: Readonly<Record<string, string>> = { nodes: 'node id', topics: 'topic', schemas: 'schema name' };

class Refused extends Error {
  constructor(readonly issue: YamlIssue) {
    super(issue.message);
  }
}

function offsetOf(node: Node | null | undefined): number {
  return node?.range?.[0] ?? 0;
}

/** Converts a composed document to plain data, counting what it expands and refusing what is unsafe. */
class Converter {
  private values = 0;
  private aliases = 0;
  readonly issues: YamlIssue[] = [];

  constructor(
    private readonly doc: Document.Parsed,
    private readonly limits: YamlLimits,
    private readonly lineCounter: LineCounter,
  ) {}

  convert(node: unknown, path: PathSegment[], depth: number): unknown {
    if (++this.values > this.limits.maxValues) {
      throw new Refused({
        code: ErrorCodes.TOPOLOGY_UNSAFE,
        message: `the document expands to more than ${this.limits.maxValues} values; refused (an alias bomb?)`,
        offset: offsetOf(node as Node),
        path,
      });
    }
    if (isAlias(node)) {
      if (++this.aliases > this.limits.maxAliases) {
        throw new Refused({
          code: ErrorCodes.TOPOLOGY_UNSAFE,
          message: `more than ${this.limits.maxAliases} aliases; refused`,
          offset: offsetOf(node),
          path,
          hint: 'write the values out, or split the file',
        });
      }
      const target = node.resolve(this.doc);
      if (target === undefined) {
        this.issues.push({ code: ErrorCodes.TOPOLOGY_PARSE, message: `unknown alias \`*${node.source}\``, offset: offsetOf(node), path });
        return null;
      }
      return this.convert(target, path, depth);
    }
    if (isScalar(node)) {
      const v = node.value;
      if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
      this.issues.push({ code: ErrorCodes.TOPOLOGY_PARSE, message: `unsupported value of type ${typeof v}`, offset: offsetOf(node), path });
      return null;
    }
    if (depth >= this.limits.maxDepth) {
      throw new Refused({
        code: ErrorCodes.TOPOLOGY_UNSAFE,
        message: `nesting deeper than ${this.limits.maxDepth} levels; refused`,
        offset: offsetOf(node as Node),
        path,
      });
    }
    if (isSeq(node)) {
      return node.items.map((item, i) => this.convert(item, [...path, i], depth + 1));
    }
    if (isMap(node)) return this.convertMap(node, path, depth);
    return null;
  }

  private convertMap(node: { items: Array<{ key: unknown; value: unknown }> }, path: PathSegment[], depth: number): unknown {
    const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    const seenAt = new Map<string, number>();
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const keyOffset = offsetOf(keyNode);
      const raw = isScalar(keyNode) ? keyNode.value : undefined;
      if (typeof raw !== 'string' && typeof raw !== 'number') {
        this.issues.push({ code: ErrorCodes.TOPOLOGY_PARSE, message: 'keys must be plain names', offset: keyOffset, path });
        continue;
      }
      const key = String(raw);
      if (key === '<<') {
        this.issues.push({
          code: ErrorCodes.TOPOLOGY_UNSAFE,
          message: 'merge keys (`<<`) are not supported',
          offset: keyOffset,
          path,
          hint: 'write the merged keys out; a topology should read the same without YAML merge rules',
        });
        continue;
      }
      if (isForbiddenKey(key)) {
        this.issues.push({ code: ErrorCodes.TOPOLOGY_UNSAFE, message: `the key \`${key}\` is refused`, offset: keyOffset, path: [...path, key] });
        continue;
      }
      const first = seenAt.get(key);
      if (first !== undefined) {
        const what = path.length === 1 ? collectionNouns[String(path[0])] : undefined;
        this.issues.push({
          code: ErrorCodes.TOPOLOGY_DUPLICATE,
          message: `duplicate ${what ?? 'key'} \`${key}\``,
          offset: keyOffset,
          path: [...path, key],
          hint: `first defined on line ${this.lineCounter.linePos(first).line}; rename one of them`,
        });
        continue;
      }
      seenAt.set(key, keyOffset);
      out[key] = this.convert(pair.value, [...path, key], depth + 1);
    }
    return out;
  }
}

/** Parses one YAML/JSON document into plain data, with every issue it finds (never throws on input). */
export function parseYaml(text: string, limits: YamlLimits = defaultYamlLimits): ParsedYaml {
  const lineCounter = new LineCounter();
  const tokens = Array.from(new Parser(lineCounter.addNewLine).parse(text));
  const deep = cstTooDeep(tokens, limits.maxDepth);
  if (deep !== undefined) {
    return {
      lineCounter,
      issues: [{ code: ErrorCodes.TOPOLOGY_UNSAFE, message: `nesting deeper than ${limits.maxDepth} levels; refused`, offset: deep }],
    };
  }
  // `merge: false`: `<<` stays an ordinary key, which the converter refuses by name.
  const docs = Array.from(new Composer({ uniqueKeys: true, merge: false, prettyErrors: false }).compose(tokens, true, text.length));
  const doc = docs[0];
  if (doc === undefined) {
    return { lineCounter, issues: [{ code: ErrorCodes.TOPOLOGY_PARSE, message: 'the file is empty', offset: 0 }] };
  }
  const issues: YamlIssue[] = [];
  if (docs.length > 1) {
    issues.push({ code: ErrorCodes.TOPOLOGY_PARSE, message: 'a topology file holds one YAML document; found more after `---`', offset: offsetOf(docs[1]?.contents) });
  }
  for (const err of [...doc.errors, ...doc.warnings]) {
    // Duplicate keys are reported by the converter, which can name the key and its path.
    if (err.code === 'DUPLICATE_KEY') continue;
    issues.push({ code: ErrorCodes.TOPOLOGY_PARSE, message: err.message.split('\n')[0] ?? err.message, offset: err.pos[0] });
  }
  const converter = new Converter(doc, limits, lineCounter);
  try {
    const data = converter.convert(doc.contents, [], 0);
    return { doc, lineCounter, data, issues: [...issues, ...converter.issues] };
  } catch (err) {
    if (!(err instanceof Refused)) throw err;
    return { doc, lineCounter, issues: [...issues, ...converter.issues, err.issue] };
  }
}

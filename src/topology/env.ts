/**
 * `${VAR}` and `${VAR:-default}` in string values, so brokers, credentials and
 * paths come from the environment. Expansion is one pass over the text as
 * written: a value that itself contains `${...}` is not expanded again, and
 * `$${` writes a literal `${`. Keys are never expanded, only values.
 *
 * Expansion is bounded: a file of 1 MiB holding 50,000 references to a
 * 100 KB variable would otherwise build gigabytes of strings and end in an
 * out-of-memory abort. One reference may put at most `maxReference`
 * characters in, and the whole document may come to at most `maxTotal`;
 * the reference that crosses either stops the expansion with an issue.
 */
import { ErrorCodes, type ErrorCode } from '../core/index.ts';
import type { PathSegment } from './problems.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export interface EnvIssue {
  /** TOPOLOGY_ENV_UNSET, TOPOLOGY_INVALID (a malformed reference) or TOPOLOGY_UNSAFE (a limit crossed). */
  code: ErrorCode;
  path: PathSegment[];
  /** Which `${` of the string value the issue is about (0 for the first), to place it at the reference. */
  reference: number;
  message: string;
  hint?: string;
}

export interface EnvLimits {
  /** Characters one reference may expand to (the variable's value, or its default). */
  maxReference: number;
  /** Characters of all string values of the document, after expansion. */
  maxTotal: number;
}

export const defaultEnvLimits: EnvLimits = Object.freeze({ maxReference: 64 * 1024, maxTotal: 4 * 1024 * 1024 });

const reference = /\$\$\{|\$\{([^{}]*)\}|\$\{/g;
const inner = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/;

class Expander {
  /** Characters produced so far, over every string value. */
  #total = 0;
  /** Set once a limit is crossed: nothing more is expanded. */
  #stopped = false;

  constructor(
    private readonly env: Env,
    private readonly limits: EnvLimits,
    private readonly issues: EnvIssue[],
  ) {}

  value(data: unknown, path: PathSegment[]): unknown {
    if (typeof data === 'string') return this.#string(data, path);
    if (Array.isArray(data)) return data.map((v, i) => this.value(v, [...path, i]));
    if (typeof data === 'object' && data !== null) {
      const out = Object.create(null) as Record<string, unknown>;
      for (const [k, v] of Object.entries(data)) out[k] = this.value(v, [...path, k]);
      return out;
    }
    return data;
  }

  #issue(code: ErrorCode, path: PathSegment[], reference: number, message: string, hint: string): void {
    this.issues.push({ code, path, reference, message, hint });
  }

  /** Counts `n` more characters; false (with an issue) once the document would pass its limit. */
  #spend(n: number, path: PathSegment[], reference: number): boolean {
    this.#total += n;
    if (this.#total <= this.limits.maxTotal) return true;
    this.#stopped = true;
    this.#issue(ErrorCodes.TOPOLOGY_UNSAFE, path, reference, `expanding environment variables here takes the document past ${this.limits.maxTotal} characters; refused`,
      'reference large values fewer times, or pass large data as files');
    return false;
  }

  #string(text: string, path: PathSegment[]): string {
    if (this.#stopped) return text;
    if (!text.includes('${')) {
      this.#spend(text.length, path, 0);
      return text;
    }
    const parts: string[] = [];
    let last = 0;
    // Every `${` of the text starts exactly one match, so the match count is the reference's ordinal.
    let n = 0;
    reference.lastIndex = 0;
    for (let m = reference.exec(text); m !== null; m = reference.exec(text), n++) {
      const literal = text.slice(last, m.index);
      const replacement = this.#replace(m[0], m[1], path, n);
      if (this.#stopped || !this.#spend(literal.length + replacement.length, path, n)) return text;
      parts.push(literal, replacement);
      last = m.index + m[0].length;
    }
    const rest = text.slice(last);
    if (!this.#spend(rest.length, path, n - 1)) return text;
    parts.push(rest);
    return parts.join('');
  }

  #replace(match: string, body: string | undefined, path: PathSegment[], n: number): string {
    if (match === '$${') return '${';
    if (body === undefined) {
      this.#issue(ErrorCodes.TOPOLOGY_INVALID, path, n, 'unclosed `${`', 'write `${NAME}`, or `$${` for a literal `${`');
      return match;
    }
    const m = inner.exec(body);
    if (m === null) {
      this.#issue(ErrorCodes.TOPOLOGY_INVALID, path, n, `\`${match}\` is not a variable reference`,
        'write `${NAME}` or `${NAME:-default}` with NAME made of letters, digits and _');
      return match;
    }
    const [, name, fallback] = m as unknown as [string, string, string | undefined];
    const value = Object.hasOwn(this.env, name) ? this.env[name] : undefined;
    const chosen = value !== undefined && (value !== '' || fallback === undefined) ? value : fallback;
    if (chosen === undefined) {
      this.#issue(ErrorCodes.TOPOLOGY_ENV_UNSET, path, n, `environment variable \`${name}\` is not set`, `set it, or give a default: \`\${${name}:-value}\``);
      return match;
    }
    if (chosen.length > this.limits.maxReference) {
      this.#stopped = true;
      this.#issue(ErrorCodes.TOPOLOGY_UNSAFE, path, n,
        `\`${match.length > 40 ? match.slice(0, 37) + '...' : match}\` expands to ${chosen.length} characters, over the ${this.limits.maxReference}-character limit of one reference; refused`,
        'pass large data as files, not through environment variables');
      return match;
    }
    return chosen;
  }
}

/** A copy of `data` with references in string values expanded; objects keep a null prototype. */
export function interpolateEnv(data: unknown, env: Env, issues: EnvIssue[], limits: EnvLimits = defaultEnvLimits): unknown {
  return new Expander(env, limits, issues).value(data, []);
}

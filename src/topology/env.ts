/**
 * `${VAR}` and `${VAR:-default}` in string values, so brokers, credentials and
 * paths come from the environment. Expansion is one pass over the text as
 * written: a value that itself contains `${...}` is not expanded again, and
 * `$${` writes a literal `${`. Keys are never expanded, only values.
 */
import type { PathSegment } from './problems.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export interface EnvIssue {
  path: PathSegment[];
  message: string;
  hint?: string;
  /** True when a variable is unset and has no default; false for a malformed reference. */
  unset: boolean;
}

const reference = /\$\$\{|\$\{([^{}]*)\}|\$\{/g;
const inner = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/;

function expand(text: string, env: Env, path: PathSegment[], issues: EnvIssue[]): string {
  if (!text.includes('${')) return text;
  return text.replace(reference, (match: string, body: string | undefined) => {
    if (match === '$${') return '${';
    if (body === undefined) {
      issues.push({ path, unset: false, message: 'unclosed `${`', hint: 'write `${NAME}`, or `$${` for a literal `${`' });
      return match;
    }
    const m = inner.exec(body);
    if (m === null) {
      issues.push({
        path,
        unset: false,
        message: `\`${match}\` is not a variable reference`,
        hint: 'write `${NAME}` or `${NAME:-default}` with NAME made of letters, digits and _',
      });
      return match;
    }
    const [, name, fallback] = m as unknown as [string, string, string | undefined];
    const value = Object.hasOwn(env, name) ? env[name] : undefined;
    if (value !== undefined && (value !== '' || fallback === undefined)) return value;
    if (fallback !== undefined) return fallback;
    issues.push({
      path,
      unset: true,
      message: `environment variable \`${name}\` is not set`,
      hint: `set it, or give a default: \`\${${name}:-value}\``,
    });
    return match;
  });
}

/** A copy of `data` with references in string values expanded; objects keep a null prototype. */
export function interpolateEnv(data: unknown, env: Env, issues: EnvIssue[], path: PathSegment[] = []): unknown {
  if (typeof data === 'string') return expand(data, env, path, issues);
  if (Array.isArray(data)) return data.map((v, i) => interpolateEnv(v, env, issues, [...path, i]));
  if (typeof data === 'object' && data !== null) {
    const out = Object.create(null) as Record<string, unknown>;
    for (const [k, v] of Object.entries(data)) out[k] = interpolateEnv(v, env, issues, [...path, k]);
    return out;
  }
  return data;
}

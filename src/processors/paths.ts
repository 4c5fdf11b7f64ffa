/**
 * Every path a topology names (schemas, modules, data files) must stay inside
 * one root folder, judged twice: on the path as written, and again after
 * resolving symlinks, so a link pointing out of the tree is caught too.
 */
import { lstat, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';

export type Confined = { ok: true; path: string } | { ok: false; reason: string };

const urlScheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:/;

function inside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

async function realpathOrNull(p: string): Promise<string | null> {
  try {
    return await realpath(p);
  } catch {
    return null;
  }
}

/** Where a dangling symbolic link points, or null when `p` is not a link. */
async function danglingTarget(p: string): Promise<string | null> {
  try {
    if (!(await lstat(p)).isSymbolicLink()) return null;
    return path.resolve(path.dirname(p), await readlink(p));
  } catch {
    return null;
  }
}

/**
 * The real path of `p`, or of its nearest existing ancestor joined with the
 * rest, for files not written yet. A dangling link is followed by hand, since
 * realpath refuses it and its target is what a later write would reach.
 */
export async function realpathSoFar(p: string, hops = 0): Promise<string> {
  const missing: string[] = [];
  let cur = p;
  for (;;) {
    const real = await realpathOrNull(cur);
    if (real !== null) return path.join(real, ...missing.reverse());
    const target = hops < 32 ? await danglingTarget(cur) : null;
    if (target !== null) return path.join(await realpathSoFar(target, hops + 1), ...missing.reverse());
    const parent = path.dirname(cur);
    if (parent === cur) return p;
    missing.push(path.basename(cur));
    cur = parent;
  }
}

/**
 * Resolves `spec` (as written in the file, relative to `baseDir`) and checks
 * that it stays inside `root`. Returns the resolved real path.
 */
export async function resolveInside(root: string, baseDir: string, spec: string): Promise<Confined> {
  if (spec.includes('\0')) return { ok: false, reason: 'the path contains a NUL byte' };
  if (urlScheme.test(spec) && !/^[a-zA-Z]:[\\/]/.test(spec)) {
    return { ok: false, reason: `\`${spec}\` is a URL or a builtin module, not a file path; name a file relative to the topology` };
  }
  const absRoot = path.resolve(root);
  const abs = path.resolve(baseDir, spec);
  if (!inside(absRoot, abs)) {
    return { ok: false, reason: `\`${spec}\` resolves to ${abs}, outside ${absRoot}; paths must stay inside the topology's folder` };
  }
  const [realRoot, real] = await Promise.all([realpathSoFar(absRoot), realpathSoFar(abs)]);
  if (!inside(realRoot, real)) {
    return { ok: false, reason: `\`${spec}\` leads through a symbolic link to ${real}, outside ${realRoot}` };
  }
  return { ok: true, path: real };
}

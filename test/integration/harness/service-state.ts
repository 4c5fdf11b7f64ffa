import { readFileSync } from 'node:fs';

/** The KEY=value lines a service script (scripts/kafka.sh, scripts/registry.sh) keeps its running service in. */
export function readStateFile(path: string): Record<string, string> {
  const text = readFileSync(path, 'utf8');
  return Object.fromEntries(text.trim().split('\n').map((l) => l.split('=', 2) as [string, string]));
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

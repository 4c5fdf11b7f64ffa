/**
 * `sluice run` on the embedded transport: its dead letters would end with the
 * process, so each dead-letter topic that holds any is written to
 * `<dir>/<topic>.ndjson` (one dead letter a line: why, when and where from,
 * the original key, value, headers and timestamp, all `sluice redrive --from`
 * needs), and the summary names the files and shows the first few.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describeWhere } from '../core/index.ts';
import type { DeadLetter, DeadLetterTopic } from '../runtime/index.ts';

/** Dead letters shown in the summary, per topic; the rest are in the file. */
export const SHOWN_PER_TOPIC = 5;

export interface WrittenDeadLetters {
  topic: string;
  path: string;
  deadLetters: readonly DeadLetter[];
}

export function writeDeadLetterFiles(dir: string, topics: readonly DeadLetterTopic[]): WrittenDeadLetters[] {
  if (topics.length > 0) mkdirSync(dir, { recursive: true });
  return topics.map(({ topic, deadLetters }) => {
    const path = join(dir, `${topic}.ndjson`);
    writeFileSync(path, deadLetters.map((d) => JSON.stringify(d)).join('\n') + '\n');
    return { topic, path, deadLetters };
  });
}

function origin(d: DeadLetter, cwd: string): string {
  const o = d.original;
  return describeWhere({ ...o, ...(o.file !== undefined ? { file: relative(cwd, o.file) } : {}) });
}

/** Summary lines: per topic its count and file, then its first dead letters with code, stage, origin and message. */
export function deadLetterSummary(written: readonly WrittenDeadLetters[], cwd: string): string[] {
  const lines: string[] = [];
  for (const { topic, path, deadLetters } of written) {
    lines.push(`dead letters: ${deadLetters.length} in ${topic} → ${relative(cwd, path)}`);
    for (const d of deadLetters.slice(0, SHOWN_PER_TOPIC)) {
      lines.push(`  ${d.code}  stage ${d.stage}  ${origin(d, cwd) || '(no origin)'}: ${d.message.split('\n')[0]}`);
    }
    if (deadLetters.length > SHOWN_PER_TOPIC) lines.push(`  … and ${deadLetters.length - SHOWN_PER_TOPIC} more in the file`);
  }
  return lines;
}

/**
 * Redriving the dead letters an embedded `sluice run` wrote to
 * `out/<dead-letter topic>.ndjson` (one `DeadLetter` a line): its in-process
 * topics ended with it, so the file is all that is left of them. A line keeps
 * what a person reads (why, where from, the key and value bytes, a
 * truncation) but neither the original headers nor the failure time: records
 * go back without headers, and nothing filters by time. A file has no
 * consumer group to remember progress: every run sends all of it again.
 */
import { ErrorCodes, SluiceError, readRegularFile } from '../core/index.ts';
import type { ConsumedRecord, Producer } from '../transport/index.ts';
import { DLQ_HEADER_PREFIX, DLQ_TRUNCATED, type DeadLetter } from './dead-letter.ts';
import { Redriver, type RedriveReport, type RedriveSettings } from './redrive.ts';

/** An embedded run holds its dead letters in memory too; past this a file was not written by one. */
const MAX_FILE_BYTES = 1024 ** 3;

function bytes(text: string | null, encoding: DeadLetter['valueEncoding']): Buffer | null {
  return text === null ? null : Buffer.from(text, encoding === 'base64' ? 'base64' : 'utf8');
}

/** A dead-letter line as the record it was on its topic: the inverse of `readDeadLetter`, less what a line does not keep. */
export function deadLetterOfLine(d: DeadLetter): ConsumedRecord {
  const fields: Record<string, string | number | undefined> = {
    stage: d.stage,
    'error.code': d.code,
    'error.message': d.message,
    attempts: d.attempts,
    'original.topic': d.original.topic,
    'original.partition': d.original.partition,
    'original.offset': d.original.offset,
    'original.file': d.original.file,
    'original.line': d.original.line,
    'original.timestamp': d.original.timestamp,
  };
  const headers: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) headers[`${DLQ_HEADER_PREFIX}${name}`] = Buffer.from(String(value));
  if (d.truncated !== undefined) headers[DLQ_TRUNCATED] = Buffer.from(d.truncated);
  return {
    key: bytes(d.key, d.keyEncoding),
    value: bytes(d.value, d.valueEncoding),
    headers,
    timestamp: d.original.timestamp ?? 0,
    topic: d.topic,
    partition: d.partition,
    offset: d.offset,
  };
}

function isDeadLetter(v: unknown): v is DeadLetter {
  const d = v as Partial<DeadLetter> | null;
  return (
    typeof d === 'object' && d !== null && typeof d.topic === 'string' && typeof d.partition === 'number' && typeof d.offset === 'string' &&
    typeof d.code === 'string' && typeof d.original === 'object' && d.original !== null
  );
}

async function readDeadLetterFile(path: string): Promise<ConsumedRecord[]> {
  let text: string;
  try {
    text = (await readRegularFile(path, MAX_FILE_BYTES, 'dead-letter file')).toString('utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new SluiceError(ErrorCodes.CLI_USAGE, `--from ${path}: no such file`, { context: { file: path } });
  }
  const out: ConsumedRecord[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (err) {
      throw new SluiceError(ErrorCodes.RECORD_INVALID, `not JSON: ${(err as Error).message}`, { context: { file: path, line: i + 1 } });
    }
    if (!isDeadLetter(parsed)) throw new SluiceError(ErrorCodes.RECORD_INVALID, 'not a dead letter as `sluice run` writes them (topic, partition, offset, code, original)', { context: { file: path, line: i + 1 } });
    out.push(deadLetterOfLine(parsed));
  });
  return out;
}

/** Redrives every dead letter of the file through `producer` (none on a dry run). */
export async function redriveFile(path: string, producer: Producer | undefined, settings: RedriveSettings): Promise<RedriveReport> {
  const redriver = new Redriver(producer, settings, path);
  for (const deadLetter of await readDeadLetterFile(path)) {
    redriver.add(deadLetter);
    if (redriver.full) await redriver.flush();
  }
  await redriver.flush();
  return redriver.report;
}

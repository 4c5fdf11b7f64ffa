/**
 * Redriving the dead letters an embedded `sluice run` wrote to
 * `out/<dead-letter topic>.ndjson` (one `DeadLetter` a line): its in-process
 * topics ended with it, so the file is all that is left of them. A line keeps
 * all a dead letter on a topic carries, so it is turned back into that record
 * and redriven as one read from the topic is; a line from before the headers
 * and the failure time were kept has neither, like a topic's dead letter
 * without them (no headers go back, `--since` passes over it). A file has no
 * consumer group to remember progress: every run sends all of it again.
 */
import { ErrorCodes, SluiceError, readRegularFile } from '../core/index.ts';
import type { ConsumedRecord, Producer } from '../transport/index.ts';
import { deadLetterRecord, type DeadLetter, type EncodedBytes } from './dead-letter.ts';
import { Redriver, type RedriveReport, type RedriveSettings } from './redrive.ts';

/** An embedded run holds its dead letters in memory too; past this a file was not written by one. */
const MAX_FILE_BYTES = 1024 ** 3;

function isEncoded(v: unknown): v is EncodedBytes {
  const e = v as Partial<EncodedBytes> | null;
  return typeof e === 'object' && e !== null && typeof e.text === 'string' && (e.encoding === 'utf8' || e.encoding === 'base64');
}

function isDeadLetter(v: unknown): v is DeadLetter {
  const d = v as Partial<DeadLetter> | null;
  return (
    typeof d === 'object' && d !== null && typeof d.topic === 'string' && typeof d.partition === 'number' && typeof d.offset === 'string' &&
    typeof d.code === 'string' && typeof d.original === 'object' && d.original !== null &&
    (d.failedAt === undefined || typeof d.failedAt === 'number') &&
    (d.headers === undefined || (typeof d.headers === 'object' && d.headers !== null && Object.values(d.headers).every(isEncoded)))
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
    if (!isDeadLetter(parsed)) throw new SluiceError(ErrorCodes.RECORD_INVALID, 'not a dead letter as `sluice run` writes them (topic, partition, offset, code, original; failedAt a number, headers of {text, encoding})', { context: { file: path, line: i + 1 } });
    out.push(deadLetterRecord(parsed));
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

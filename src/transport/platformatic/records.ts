/**
 * From the record batches of a fetch answer to sluice's `ConsumedRecord`s,
 * pure so that it is tested without a broker.
 *
 * Under read_committed the broker stops at the last stable offset and lists
 * the aborted transactions that overlap the answer; the records of those
 * transactions are the client's to drop, as the Java consumer does: a
 * producer's transactional batches are skipped from the first offset of its
 * aborted transaction until its abort marker. The client's own filter keeps
 * one range per producer and ignores a range whose marker is not in the same
 * answer, so a second aborted transaction of one producer in one answer, or
 * one whose marker the answer's size cut off, reached the reader; it runs
 * first, and this one drops what it left.
 */
import { IS_CONTROL, IS_TRANSACTIONAL, type RecordsBatch } from '@platformatic/kafka';
import type { ConsumedRecord, HeaderBytes } from '../types.ts';

const TIMESTAMP_LOG_APPEND = 1 << 3;

export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: bigint;
}

/** A control record's key: version (int16), then type: 0 abort, 1 commit. */
function isAbortMarker(batch: RecordsBatch): boolean {
  const key = batch.records[0]?.key;
  return key !== null && key !== undefined && key.length >= 4 && key.readInt16BE(2) === 0;
}

/** The batches a read_committed reader may see: neither control batches nor those of aborted transactions. */
export function committedBatches(batches: readonly RecordsBatch[], aborted: readonly AbortedTransaction[]): RecordsBatch[] {
  const pending = [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  const abortedProducers = new Set<bigint>();
  const out: RecordsBatch[] = [];
  let next = 0;
  for (const batch of batches) {
    const last = batch.firstOffset + BigInt(batch.lastOffsetDelta);
    while (next < pending.length && pending[next]!.firstOffset <= last) abortedProducers.add(pending[next++]!.producerId);
    if (batch.attributes & IS_CONTROL) {
      if (isAbortMarker(batch)) abortedProducers.delete(batch.producerId);
      continue;
    }
    if (batch.attributes & IS_TRANSACTIONAL && abortedProducers.has(batch.producerId)) continue;
    out.push(batch);
  }
  return out;
}

/** The offset after the answer's last batch (control and skipped batches count: the position moves past them). */
export function nextOffset(batches: readonly RecordsBatch[]): bigint | undefined {
  const last = batches[batches.length - 1];
  return last === undefined ? undefined : last.firstOffset + BigInt(last.lastOffsetDelta) + 1n;
}

/**
 * Header names as text, decoded once for a run of records that repeat them
 * (a producer's codec headers, on every record): comparing a few bytes costs
 * about half of decoding them into a new string.
 */
class HeaderNames {
  readonly #bytes: Buffer[] = [];
  readonly #text: string[] = [];

  /** The name of the record's `index`th header. */
  text(name: Buffer, index: number): string {
    const seen = this.#bytes[index];
    if (seen !== undefined && name.equals(seen)) return this.#text[index]!;
    const text = name.toString();
    this.#bytes[index] = name;
    this.#text[index] = text;
    return text;
  }
}

function headerBytes(headers: readonly [Buffer | null, Buffer | null][], names: HeaderNames): HeaderBytes {
  const out: HeaderBytes = {};
  for (let i = 0; i < headers.length; i++) {
    const [name, value] = headers[i]!;
    if (name !== null && value !== null) out[names.text(name, i)] = value;
  }
  return out;
}

/**
 * Appends the data records of `batches` at offset `from` or later (earlier
 * ones were delivered already) to `out`. Offsets and timestamps are counted
 * in numbers, not bigints, whenever a batch's offsets are safe integers
 * (any real log): bigint sums and their decimal text per record were the
 * bulk of this loop's garbage.
 */
export function consumedRecords(topic: string, partition: number, batches: readonly RecordsBatch[], from: bigint, out: ConsumedRecord[]): void {
  const names = new HeaderNames();
  for (const batch of batches) {
    if (batch.attributes & IS_CONTROL) continue;
    const logAppendTime = (batch.attributes & TIMESTAMP_LOG_APPEND) !== 0;
    const firstTimestamp = Number(logAppendTime ? batch.maxTimestamp : batch.firstTimestamp);
    const offsetOf = offsetCounter(batch, from);
    for (const record of batch.records) {
      const offset = offsetOf(record.offsetDelta);
      if (offset === undefined) continue;
      out.push({
        key: record.key,
        value: record.value,
        headers: headerBytes(record.headers, names),
        timestamp: logAppendTime ? firstTimestamp : firstTimestamp + Number(record.timestampDelta),
        topic,
        partition,
        offset,
      });
    }
  }
}

/** A batch's record offset, as decimal text, from its offset delta; undefined below `from`. */
function offsetCounter(batch: RecordsBatch, from: bigint): (delta: number) => string | undefined {
  const first = Number(batch.firstOffset);
  if (Number.isSafeInteger(first + batch.lastOffsetDelta)) {
    const skip = Number(from) - first;
    return (delta) => (delta < skip ? undefined : String(first + delta));
  }
  return (delta) => {
    const offset = batch.firstOffset + BigInt(delta);
    return offset < from ? undefined : offset.toString();
  };
}

/**
 * The one checker every reliability scenario ends with, after Kafka's own
 * `transactions_test.py` / `streams_eos_test.py`: compare what the broker
 * acknowledged as sent with what was read back at the end, per unique record
 * id (present or lost, how many copies) and per key within a partition
 * (order). Pure: scenarios gather the two lists, this judges them.
 */

/** A record the feeder's producer had acknowledged (acks=all). */
export interface SentRecord {
  id: number;
  key: string;
  /** 1, 2, 3… per key, in the order the feeder sent that key's records. */
  seq: number;
}

/** A record read back from the output topic, in the order its partition gave it. */
export interface ReadRecord extends SentRecord {
  partition: number;
  offset: string;
}

export interface OrderViolation {
  key: string;
  partition: number;
  offset: string;
  /** The sequence number seen before, greater than `seq`. */
  after: number;
  seq: number;
}

export interface CheckReport {
  sent: number;
  read: number;
  /** Distinct sent ids found in the output. */
  present: number;
  lost: number;
  /** Up to 20 lost ids, to start looking from. */
  lostIds: number[];
  /** Copies beyond the first, over all ids. */
  duplicates: number;
  /** Ids read more than once. */
  duplicatedIds: number;
  maxCopies: number;
  /** Ids read that the feeder never saw acknowledged (a send that failed but was written anyway). */
  unacknowledged: number;
  /** First copies whose per-key sequence went backwards within a partition. */
  orderViolations: OrderViolation[];
  /** Keys read from more than one partition: their order cannot be compared. */
  keysSplit: number;
}

/**
 * Order is judged on first copies only: an at-least-once replay re-reads an
 * earlier run of a key (1 2 3 · 2 3 4), which is a duplicate, not a reorder.
 */
export function check(sent: Iterable<SentRecord>, read: Iterable<ReadRecord>): CheckReport {
  const expected = new Map<number, SentRecord>();
  for (const s of sent) expected.set(s.id, s);

  const copies = new Map<number, number>();
  const highest = new Map<string, number>();
  const partitionOf = new Map<string, number>();
  const split = new Set<string>();
  const orderViolations: OrderViolation[] = [];
  let reads = 0;
  let unacknowledged = 0;
  for (const r of read) {
    reads++;
    const n = (copies.get(r.id) ?? 0) + 1;
    copies.set(r.id, n);
    if (!expected.has(r.id) && n === 1) unacknowledged++;
    if (n > 1) continue;
    const seen = partitionOf.get(r.key);
    if (seen === undefined) partitionOf.set(r.key, r.partition);
    else if (seen !== r.partition) split.add(r.key);
    const slot = `${r.partition}\u0000${r.key}`;
    const top = highest.get(slot) ?? 0;
    if (r.seq < top) orderViolations.push({ key: r.key, partition: r.partition, offset: r.offset, after: top, seq: r.seq });
    else highest.set(slot, r.seq);
  }

  const lostIds: number[] = [];
  let lost = 0;
  for (const id of expected.keys()) {
    if (copies.has(id)) continue;
    lost++;
    if (lostIds.length < 20) lostIds.push(id);
  }
  let duplicates = 0;
  let duplicatedIds = 0;
  let maxCopies = 0;
  for (const n of copies.values()) {
    if (n > 1) {
      duplicates += n - 1;
      duplicatedIds++;
    }
    if (n > maxCopies) maxCopies = n;
  }
  return {
    sent: expected.size,
    read: reads,
    present: expected.size - lost,
    lost,
    lostIds: lostIds.sort((a, b) => a - b),
    duplicates,
    duplicatedIds,
    maxCopies,
    unacknowledged,
    orderViolations,
    keysSplit: split.size,
  };
}

/** One line for logs and the results table. */
export function summarize(report: CheckReport): string {
  return (
    `sent ${report.sent}, read ${report.read}, lost ${report.lost}${report.lost > 0 ? ` (e.g. ${report.lostIds.slice(0, 5).join(', ')})` : ''}, ` +
    `duplicates ${report.duplicates} over ${report.duplicatedIds} ids (max ${report.maxCopies} copies), ` +
    `order violations ${report.orderViolations.length}, unacknowledged read ${report.unacknowledged}`
  );
}

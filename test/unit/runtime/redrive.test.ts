import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, SluiceError, silentLogger } from '../../../src/core/index.ts';
import { writeDeadLetterFiles, type WrittenDeadLetters } from '../../../src/cli/dead-letters.ts';
import { deadLetterHeaders, deadLetterRecord, readDeadLetter } from '../../../src/runtime/dead-letter.ts';
import { DeadLetterWriter } from '../../../src/runtime/dead-letter-writer.ts';
import { redriveFile } from '../../../src/runtime/redrive-file.ts';
import { Redriver, redriveRecord, selected, type RedriveFilter, type RedriveSettings } from '../../../src/runtime/redrive.ts';
import { RecordsRefusedError, type ConsumedRecord, type OutgoingRecord, type Producer } from '../../../src/transport/index.ts';

const NOW = 1_800_000_000_000;

function deadLetter(headers: Record<string, string | Buffer>, over: Partial<ConsumedRecord> = {}): ConsumedRecord {
  return {
    key: Buffer.from('k1'),
    value: Buffer.from([0x01, 0xff, 0x00, 0x7f]),
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)])),
    timestamp: 99,
    topic: 'orders.dlq',
    partition: 2,
    offset: '17',
    ...over,
  };
}

function producer(refuse: (records: readonly OutgoingRecord[]) => number[]): Producer & { sent: OutgoingRecord[] } {
  const sent: OutgoingRecord[] = [];
  return {
    sent,
    acknowledged: 0,
    async send(records) {
      const refused = refuse(records);
      sent.push(...records.filter((_, i) => !refused.includes(i)));
      if (refused.length > 0) throw new RecordsRefusedError(refused.map((index) => ({ index, error: new SluiceError(ErrorCodes.RECORD_REFUSED, 'too large') })), records.length);
    },
    async flush() {},
    async close() {},
  };
}

const fromTopic = deadLetterHeaders(new SluiceError(ErrorCodes.PROCESSOR, 'boom'), { topology: 't', stage: 'enrich', topic: 'orders', partition: 1, offset: '41', timestamp: 7, attempts: 1 }, 1_000) as Record<string, string>;
const fromFile = deadLetterHeaders(new SluiceError(ErrorCodes.DESERIALIZE, 'bad'), { topology: 't', stage: 'ingest', file: '/data/in.ndjson', line: 3 }, 1_000) as Record<string, string>;

describe('redriveRecord', () => {
  it('rebuilds the record as it was read: key, value bytes, headers and timestamp, to its original topic, with provenance instead of sluice.dlq.*', () => {
    const dl = deadLetter({ ...fromTopic, 'sluice-codec': 'json|aes-gcm', trace: 'abc' });
    const out = redriveRecord(dl, NOW) as OutgoingRecord;
    expect(out.topic).toBe('orders');
    expect(out.key).toBe(dl.key);
    expect(Buffer.compare(out.value as Buffer, Buffer.from([0x01, 0xff, 0x00, 0x7f]))).toBe(0);
    expect(out.timestamp).toBe(7);
    expect(out.partition).toBeUndefined();
    const headers = Object.fromEntries(Object.entries(out.headers ?? {}).map(([k, v]) => [k, v.toString()]));
    expect(Object.keys(headers).filter((k) => k.startsWith('sluice.dlq.'))).toEqual([]);
    expect(headers).toEqual({
      'sluice-codec': 'json|aes-gcm',
      trace: 'abc',
      'sluice.redrive.from.topic': 'orders.dlq',
      'sluice.redrive.from.partition': '2',
      'sluice.redrive.from.offset': '17',
      'sluice.redrive.error.code': ErrorCodes.PROCESSOR,
      'sluice.redrive.at': String(NOW),
    });
  });

  it('replaces the provenance of an earlier redrive', () => {
    const out = redriveRecord(deadLetter({ ...fromTopic, 'sluice.redrive.from.offset': '3', 'sluice.redrive.stale': 'x' }), NOW) as OutgoingRecord;
    expect(out.headers?.['sluice.redrive.from.offset']).toBe('17');
    expect(out.headers?.['sluice.redrive.stale']).toBeUndefined();
  });

  it('goes to --to when given', () => {
    expect((redriveRecord(deadLetter(fromTopic), NOW, { to: 'orders.retry' }) as OutgoingRecord).topic).toBe('orders.retry');
    expect((redriveRecord(deadLetter(fromFile), NOW, { to: 'ingest.retry' }) as OutgoingRecord).topic).toBe('ingest.retry');
  });

  it('skips a dead letter with no original topic (a file source) unless --to names one, saying where it was read', () => {
    expect(redriveRecord(deadLetter(fromFile), NOW)).toEqual({ skip: expect.stringMatching(/no original topic \(it was read from \/data\/in\.ndjson:3\): give --to TOPIC/) });
  });

  it('never redrives a truncated dead letter as if whole, even with --to', () => {
    for (const cut of ['value', 'value,headers']) {
      const dl = deadLetter({ ...fromTopic, 'sluice.dlq.truncated': cut, 'sluice.dlq.original.value.bytes': '2000000' });
      expect(redriveRecord(dl, NOW, { to: 'x' })).toEqual({ skip: expect.stringContaining(`truncated to fit the dead-letter topic (${cut} cut)`) });
    }
  });

  it('skips a record that is not a sluice dead letter', () => {
    expect(redriveRecord(deadLetter({ trace: 'abc' }), NOW)).toEqual({ skip: expect.stringContaining('not a sluice dead letter') });
  });
});

describe('selected', () => {
  it('filters by error code and by failure time; a dead letter with no failure time is not "since" anything', () => {
    const dl = deadLetter(fromTopic);
    expect(selected(dl, {})).toBe(true);
    expect(selected(dl, { codes: new Set([ErrorCodes.PROCESSOR, ErrorCodes.DESERIALIZE]) })).toBe(true);
    expect(selected(dl, { codes: new Set([ErrorCodes.DESERIALIZE]) })).toBe(false);
    expect(selected(dl, { since: 1_000 })).toBe(true);
    expect(selected(dl, { since: 1_001 })).toBe(false);
    const { ['sluice.dlq.failed.at']: _, ...noTime } = fromTopic;
    expect(selected(deadLetter(noTime), { since: 0 })).toBe(false);
  });
});

describe('deadLetterRecord', () => {
  it('turns a line of an embedded run back into the dead letter it was, truncation mark included', () => {
    const dl = deadLetter({ ...fromTopic, 'sluice.dlq.truncated': 'value' });
    const line = JSON.parse(JSON.stringify(readDeadLetter(dl)));
    const back = deadLetterRecord(line);
    expect(back).toMatchObject({ topic: 'orders.dlq', partition: 2, offset: '17', key: Buffer.from('k1'), value: dl.value, timestamp: 7 });
    expect(back.headers['sluice.dlq.original.topic']?.toString()).toBe('orders');
    expect(redriveRecord(back, NOW)).toEqual({ skip: expect.stringContaining('truncated') });
    const { ['sluice.dlq.truncated']: _, ...whole } = back.headers;
    expect((redriveRecord({ ...back, headers: whole }, NOW) as OutgoingRecord).value).toEqual(dl.value);
  });
});

describe('redriveFile', () => {
  const ownHeaders = { trace: Buffer.from('abc'), bin: Buffer.from([0xff, 0x00, 0xc3]) };
  const key = Buffer.from([0x00, 0x9f]);
  const value = Buffer.from([0x01, 0xff, 0x00, 0x7f]);

  /** A dead letter as the writer puts it on its topic (the Kafka form), from a record with headers. */
  function onTopic(): ConsumedRecord {
    const writer = new DeadLetterWriter({ topology: 't', stage: 'enrich', topic: 'orders.dlq', producer: producer(() => []), logger: silentLogger });
    const origin = { topic: 'orders', partition: 1, offset: '41', rawKey: key, rawValue: value, rawHeaders: ownHeaders, timestamp: 7 };
    const record = writer.record(new SluiceError(ErrorCodes.PROCESSOR, 'boom', { context: { attempts: 2 } }), { record: { key, value, headers: {}, timestamp: 7 }, token: undefined, origin });
    const headers = Object.fromEntries(Object.entries(record.headers ?? {}).map(([k, v]) => [k, Buffer.from(v)]));
    return { key: record.key as Buffer, value: record.value as Buffer, headers, timestamp: record.timestamp!, topic: 'orders.dlq', partition: 0, offset: '5' };
  }

  /** The file an embedded run writes of `deadLetters`, through the run's own writer. */
  function written(deadLetters: ConsumedRecord[], edit: (line: Record<string, unknown>) => void = () => {}): string {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-redrive-'));
    const [{ path }] = writeDeadLetterFiles(dir, [{ topic: 'orders.dlq', deadLetters: deadLetters.map(readDeadLetter) }]) as [WrittenDeadLetters];
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    lines.forEach(edit);
    writeFileSync(path, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    return path;
  }

  const settings = (filter: RedriveFilter = {}): RedriveSettings => ({ filter, dryRun: false, now: () => NOW });

  it('rebuilds a record from the file exactly as from the topic: own headers, key, value bytes and timestamp; sluice.dlq.* dropped, sluice.redrive.* added', async () => {
    const dl = onTopic();
    const p = producer(() => []);
    const report = await redriveFile(written([dl]), p, settings());
    expect(report.byCode[ErrorCodes.PROCESSOR]).toMatchObject({ redriven: 1, skipped: 0 });
    expect(p.sent).toEqual([redriveRecord(dl, NOW)]);
    const [out] = p.sent as [OutgoingRecord];
    expect(out.topic).toBe('orders');
    expect(Buffer.compare(out.key as Buffer, key)).toBe(0);
    expect(Buffer.compare(out.value as Buffer, value)).toBe(0);
    expect(out.timestamp).toBe(7);
    const headers = out.headers ?? {};
    expect(Buffer.compare(Buffer.from(headers.trace!), ownHeaders.trace)).toBe(0);
    expect(Buffer.compare(Buffer.from(headers.bin!), ownHeaders.bin)).toBe(0);
    expect(Object.keys(headers).filter((k) => k.startsWith('sluice.dlq.'))).toEqual([]);
    expect(headers).toMatchObject({ 'sluice.redrive.from.topic': 'orders.dlq', 'sluice.redrive.from.offset': '5', 'sluice.redrive.error.code': ErrorCodes.PROCESSOR, 'sluice.redrive.at': String(NOW) });
  });

  it('filters by failure time with --since', async () => {
    const dl = onTopic();
    const failedAt = Number(dl.headers['sluice.dlq.failed.at']!.toString());
    const path = written([dl, { ...dl, offset: '6', headers: { ...dl.headers, 'sluice.dlq.failed.at': Buffer.from(String(failedAt + 10)) } }]);
    const at = async (since: number) => (await redriveFile(path, producer(() => []), settings({ since }))).byCode[ErrorCodes.PROCESSOR];
    expect(await at(failedAt)).toMatchObject({ redriven: 2, filtered: 0 });
    expect(await at(failedAt + 1)).toMatchObject({ redriven: 1, filtered: 1 });
    expect(await at(failedAt + 11)).toMatchObject({ redriven: 0, filtered: 2 });
  });

  it('still reads a line of an older sluice, with no headers and no failure time: redriven without headers, passed over by --since', async () => {
    const path = written([onTopic()], (line) => {
      delete line.headers;
      delete line.failedAt;
    });
    const p = producer(() => []);
    expect((await redriveFile(path, p, settings())).byCode[ErrorCodes.PROCESSOR]).toMatchObject({ redriven: 1 });
    expect(Object.keys(p.sent[0]!.headers ?? {}).filter((k) => !k.startsWith('sluice.redrive.'))).toEqual([]);
    expect((await redriveFile(path, p, settings({ since: 0 }))).byCode[ErrorCodes.PROCESSOR]).toMatchObject({ redriven: 0, filtered: 1 });
  });

  it('refuses a line whose headers are not as the writer writes them', async () => {
    const path = written([onTopic()], (line) => void (line.headers = { trace: 'abc' }));
    await expect(redriveFile(path, producer(() => []), settings())).rejects.toMatchObject({ code: ErrorCodes.RECORD_INVALID, message: expect.stringContaining('headers of {text, encoding}') });
  });
});

describe('Redriver', () => {
  it('counts by error code, and reports the records the broker refused by where their dead letters are', async () => {
    const p = producer((records) => (records.length > 1 ? [1] : []));
    const redriver = new Redriver(p, { filter: { codes: new Set([ErrorCodes.PROCESSOR]) }, dryRun: false, now: () => NOW }, 'orders.dlq');
    redriver.add(deadLetter(fromTopic, { offset: '1' }));
    redriver.add(deadLetter(fromTopic, { offset: '2' }));
    redriver.add(deadLetter(fromFile, { offset: '3' }));
    redriver.add(deadLetter({ ...fromTopic, 'sluice.dlq.truncated': 'value' }, { offset: '4' }));
    const failed = await redriver.flush();
    expect(failed.map((d) => d.offset)).toEqual(['2']);
    expect(p.sent).toHaveLength(1);
    expect(redriver.report.byCode).toEqual({
      [ErrorCodes.PROCESSOR]: { redriven: 1, skipped: 1, filtered: 0, failed: 1 },
      [ErrorCodes.DESERIALIZE]: { redriven: 0, skipped: 0, filtered: 1, failed: 0 },
    });
    expect(redriver.report.failed).toEqual([{ at: 'orders.dlq[2]@2', code: ErrorCodes.PROCESSOR, reason: 'too large' }]);
    expect(redriver.report.skipped).toEqual([{ at: 'orders.dlq[2]@4', code: ErrorCodes.PROCESSOR, reason: expect.stringContaining('truncated') }]);
  });

  it('fails a batch the broker did not take, naming where its dead letters start', async () => {
    const down: Producer = { ...producer(() => []), send: () => Promise.reject(new SluiceError(ErrorCodes.BROKER_UNAVAILABLE, 'no broker', { retriable: true })) };
    const redriver = new Redriver(down, { filter: {}, dryRun: false }, 'orders.dlq');
    redriver.add(deadLetter(fromTopic, { offset: '5' }));
    const failure = await redriver.flush().catch((err: unknown) => err as SluiceError);
    expect(failure).toMatchObject({ code: ErrorCodes.BROKER_UNAVAILABLE, retriable: true, where: 'topic orders.dlq[2]@5' });
    expect((failure as SluiceError).message).toBe('redriving from orders.dlq[2]@5 (a batch of 1, none committed): no broker');
  });

  it('sends nothing on a dry run, and tells what it would do', async () => {
    const p = producer(() => []);
    const heard: string[] = [];
    const redriver = new Redriver(p, { filter: {}, dryRun: true, onRecord: (d, o) => heard.push(`${d.offset} ${o.action}`) }, 'orders.dlq');
    redriver.add(deadLetter(fromTopic, { offset: '1' }));
    redriver.add(deadLetter(fromFile, { offset: '2' }));
    await redriver.flush();
    expect(p.sent).toEqual([]);
    expect(heard).toEqual(['1 redrive', '2 skip']);
    expect(redriver.report.byCode[ErrorCodes.PROCESSOR]).toMatchObject({ redriven: 1 });
  });
});

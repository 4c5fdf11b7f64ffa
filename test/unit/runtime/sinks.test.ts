import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import avro from 'avsc';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ErrorCodes, SluiceError, silentLogger } from '../../../src/core/index.ts';
import type { Envelope } from '../../../src/runtime/envelope.ts';
import { AvroFileSink } from '../../../src/runtime/sinks/avro-file.ts';
import { emptyOverwrittenFiles } from '../../../src/runtime/sinks/file-modes.ts';
import { createFileLineSink } from '../../../src/runtime/sinks/lines.ts';
import type { ErrorChannel } from '../../../src/runtime/step.ts';
import type { TopologyNode } from '../../../src/topology/index.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'sluice-sinks-'));

interface Probe {
  envelope: Envelope;
  /** What the file held when the record's token was told done. */
  seenAtDone?: string;
  done: number;
}

/** Envelopes whose tokens record what `file` held at the moment they were finished. */
function probes(values: unknown[], file: string): Probe[] {
  return values.map((value, i) => {
    const probe: Probe = { done: 0 } as Probe;
    probe.envelope = {
      record: { key: null, value, headers: {}, timestamp: 0 },
      token: {
        fanOut: () => undefined,
        done: () => {
          probe.done++;
          probe.seenAtDone = readFileSync(file, 'latin1');
        },
        remaining: 1,
      },
      origin: { file: '/in.ndjson', line: i + 1, rawKey: null, rawValue: `line ${i + 1}`, rawHeaders: {}, timestamp: 0 },
    };
    return probe;
  });
}

function collectDeadLetters(): { channel: ErrorChannel; letters: Array<{ error: SluiceError; line: number | undefined }> } {
  const letters: Array<{ error: SluiceError; line: number | undefined }> = [];
  return {
    letters,
    channel: async (error, envelope) => {
      letters.push({ error, line: envelope.origin.line });
      envelope.token?.done();
    },
  };
}

const refuse: ErrorChannel = (error) => Promise.reject(error);

function deepArray(depth: number): unknown {
  // JSON.parse builds it without recursion, as a decoded record would arrive.
  return JSON.parse('['.repeat(depth) + ']'.repeat(depth));
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('file line sink', () => {
  it('appends to what the file holds: a restarted stage keeps the lines it wrote before', async () => {
    const file = join(dir(), 'out.ndjson');
    writeFileSync(file, '{"run":1}\n');
    await pipeline(Readable.from(probes([{ run: 2 }, { run: 3 }], file).map((p) => p.envelope)), createFileLineSink(file, silentLogger, refuse));
    expect(readFileSync(file, 'utf8')).toBe('{"run":1}\n{"run":2}\n{"run":3}\n');
  });

  it('finishes a record only once its line is in the file and synced, with one fdatasync per batch', async () => {
    const file = join(dir(), 'out.ndjson');
    const handle = await open(file, 'w');
    const syncs = vi.spyOn(Object.getPrototypeOf(handle) as { datasync(): Promise<void> }, 'datasync');
    await handle.close();
    const all = probes(Array.from({ length: 2_000 }, (_, i) => ({ i })), file);
    let syncedBeforeFirstDone = -1;
    all[0]!.envelope.token = { ...all[0]!.envelope.token!, done: () => void (syncedBeforeFirstDone = syncs.mock.calls.length) };
    await pipeline(Readable.from(all.map((p) => p.envelope)), createFileLineSink(file, silentLogger, refuse));
    expect(syncedBeforeFirstDone).toBeGreaterThan(0);
    for (const p of all.slice(1)) expect(p.seenAtDone).toContain(`${JSON.stringify(p.envelope.record.value)}\n`);
    expect(all.slice(1).every((p) => p.done === 1)).toBe(true);
    // Batches, not records: 2,000 records took far fewer syncs.
    expect(syncs.mock.calls.length).toBeLessThan(200);
  });

  it('ends a torn last line (a write cut short) with a newline before appending, keeping its bytes', async () => {
    const file = join(dir(), 'out.ndjson');
    writeFileSync(file, '{"a":1}\n{"a":');
    await pipeline(Readable.from(probes([{ b: 2 }], file).map((p) => p.envelope)), createFileLineSink(file, silentLogger, refuse));
    expect(readFileSync(file, 'utf8')).toBe('{"a":1}\n{"a":\n{"b":2}\n');
  });

  it('dead-letters a record it cannot format (a 400,000-deep array) and writes the rest of its batch', async () => {
    const file = join(dir(), 'out.ndjson');
    const dead = collectDeadLetters();
    const all = probes([{ n: 1 }, deepArray(400_000), { n: 3 }], file);
    await pipeline(Readable.from(all.map((p) => p.envelope)), createFileLineSink(file, silentLogger, dead.channel));
    expect(readFileSync(file, 'utf8')).toBe('{"n":1}\n{"n":3}\n');
    expect(dead.letters.map((l) => [l.line, l.error.code, l.error.context.step])).toEqual([[2, ErrorCodes.SERIALIZE, 'sink']]);
    expect(dead.letters[0]!.error.message).toMatch(/call stack/);
    expect(all.map((p) => p.done)).toEqual([1, 1, 1]);
  });
});

const reading = avro.Type.forSchema({
  type: 'record',
  name: 'Reading',
  fields: [
    { name: 'sensor', type: 'string' },
    { name: 'celsius', type: 'double' },
  ],
});

async function writeAvro(file: string, values: unknown[], onError: ErrorChannel = refuse, type = reading): Promise<Probe[]> {
  const all = probes(values, file);
  await pipeline(Readable.from(all.map((p) => p.envelope)), new AvroFileSink({ path: file, type, logger: silentLogger, onError }));
  return all;
}

async function readAvro(file: string): Promise<unknown[]> {
  const out: unknown[] = [];
  await pipeline(avro.createFileDecoder(file), async (source: AsyncIterable<unknown>) => {
    for await (const v of source) out.push({ ...(v as object) });
  });
  return out;
}

const r = (i: number) => ({ sensor: `s${i}`, celsius: i / 2 });

describe('Avro container file sink', () => {
  it('appends blocks under the one header and sync marker the file has, and finishes records once their block is written', async () => {
    const file = join(dir(), 'out.avro');
    const first = await writeAvro(file, [r(1), r(2), r(3)]);
    const second = await writeAvro(file, [r(4), r(5)]);
    expect(await readAvro(file)).toEqual([r(1), r(2), r(3), r(4), r(5)]);
    const bytes = readFileSync(file, 'latin1');
    expect(bytes.split('Obj\u0001').length - 1).toBe(1);
    // The block with the record was in the file when its token was finished.
    for (const p of [...first, ...second]) expect(p.seenAtDone!.length).toBeGreaterThan(0);
    expect(second[0]!.seenAtDone!.length).toBeGreaterThan(first[2]!.seenAtDone!.length);
    expect([...first, ...second].map((p) => p.done)).toEqual([1, 1, 1, 1, 1]);
  });

  it('cuts a block torn by a crash back to the last whole block, then appends', async () => {
    const file = join(dir(), 'out.avro');
    await writeAvro(file, [r(1), r(2)]);
    appendFileSync(file, Buffer.from([0x04, 0x30, 0x01, 0x02, 0x03]));
    await writeAvro(file, [r(3)]);
    expect(await readAvro(file)).toEqual([r(1), r(2), r(3)]);
  });

  it('refuses to append records of another schema, naming the file', async () => {
    const file = join(dir(), 'out.avro');
    await writeAvro(file, [r(1)]);
    const other = avro.Type.forSchema({ type: 'record', name: 'Other', fields: [{ name: 'x', type: 'int' }] });
    const err = await writeAvro(file, [{ x: 1 }], refuse, other).then(() => undefined, (e: unknown) => e as SluiceError);
    expect(err?.code).toBe(ErrorCodes.CONFIG_INVALID);
    expect(err?.context.file).toBe(file);
    expect(await readAvro(file)).toEqual([r(1)]);
  });

  it('refuses a file that exists and is not an Avro container instead of writing over it', async () => {
    const file = join(dir(), 'notes.avro');
    writeFileSync(file, 'my notes\n');
    const err = await writeAvro(file, [r(1)]).then(() => undefined, (e: unknown) => e as SluiceError);
    expect(err?.code).toBe(ErrorCodes.CONFIG_INVALID);
    expect(readFileSync(file, 'utf8')).toBe('my notes\n');
  });

  it('dead-letters a value the writer schema refuses, and writes the others of its batch', async () => {
    const file = join(dir(), 'out.avro');
    const dead = collectDeadLetters();
    const all = await writeAvro(file, [r(1), { sensor: 7 }, r(3)], dead.channel);
    expect(await readAvro(file)).toEqual([r(1), r(3)]);
    expect(dead.letters.map((l) => [l.line, l.error.code, l.error.context.step])).toEqual([[2, ErrorCodes.RECORD_INVALID, 'sink']]);
    expect(all.map((p) => p.done)).toEqual([1, 1, 1]);
  });
});

describe('mode: overwrite', () => {
  it('empties the overwrite sinks of the nodes a run starts, and leaves append sinks alone', async () => {
    const d = dir();
    const over = join(d, 'over.ndjson');
    const kept = join(d, 'kept.ndjson');
    writeFileSync(over, 'old\n');
    writeFileSync(kept, 'old\n');
    const node = (path: string, mode: 'append' | 'overwrite') => ({ output: { kind: 'file', path, mode, format: 'ndjson' } }) as unknown as TopologyNode;
    expect(await emptyOverwrittenFiles([node(over, 'overwrite'), node(kept, 'append'), node(join(d, 'absent.ndjson'), 'overwrite')])).toEqual([over]);
    expect(readFileSync(over, 'utf8')).toBe('');
    expect(readFileSync(kept, 'utf8')).toBe('old\n');
  });
});

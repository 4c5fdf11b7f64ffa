import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/index.ts';
import type { Envelope } from '../../../src/runtime/envelope.ts';
import type { ErrorChannel } from '../../../src/runtime/step.ts';
import { createFileLineSource, createStdinLineSource } from '../../../src/runtime/sources/lines.ts';
import { createFileLineSink, createStdoutLineSink, formatLine } from '../../../src/runtime/sinks/lines.ts';

const refuse: ErrorChannel = (error) => Promise.reject(error);

describe('line sources and sinks', () => {
  it('reads a file line by line with line numbers, skipping blank lines, and writes ndjson back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-lines-'));
    const input = join(dir, 'in.ndjson');
    writeFileSync(input, '{"a":1}\n\n{"a":2}\r\n{"a":"ü"}');
    const seen: Envelope[] = [];
    const out = join(dir, 'nested', 'out.ndjson');
    const source = createFileLineSource(input, { name: input });
    source.on('data', (e: Envelope) => seen.push(e));
    await pipeline(source, createFileLineSink(out, silentLogger, refuse));
    expect(seen.map((e) => e.origin.line)).toEqual([1, 3, 4]);
    expect(seen.map((e) => e.record.value)).toEqual(['{"a":1}', '{"a":2}', '{"a":"ü"}']);
    expect(readFileSync(out, 'utf8')).toBe('{"a":1}\n{"a":2}\n{"a":"ü"}\n');
  });

  it('reads stdin and writes objects as JSON lines to stdout without closing it', async () => {
    const stdin = new PassThrough();
    stdin.end('x\ny\n');
    const stdout = new PassThrough();
    let text = '';
    stdout.on('data', (c: Buffer) => (text += c.toString()));
    await pipeline(createStdinLineSource(stdin), createStdoutLineSink(refuse, stdout));
    expect(text).toBe('x\ny\n');
    expect(stdout.writableEnded).toBe(false);
  });

  it('ends a stdin source on abort while stdin stays open and idle, keeping the lines read before', async () => {
    const stdin = new PassThrough();
    stdin.write('x\n');
    const stop = new AbortController();
    const read: unknown[] = [];
    const source = createStdinLineSource(stdin, stop.signal);
    source.on('data', (e: Envelope) => {
      read.push(e.record.value);
      stop.abort();
    });
    await new Promise((resolve, reject) => source.once('end', resolve).once('error', reject));
    expect(read).toEqual(['x']);
    expect(stdin.writableEnded).toBe(false);
  });

  it('formats values: text as is, objects as JSON with bigints and bytes made printable', () => {
    expect(formatLine('abc')).toBe('abc\n');
    expect(formatLine({ n: 1n, b: Buffer.from('hi') })).toBe('{"n":"1","b":"aGk="}\n');
  });
});

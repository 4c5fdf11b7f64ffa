import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/core/index.ts';
import { codecNames, parseCodecChain } from '../../../src/codecs/index.ts';
import { errorOf } from './fixtures.ts';

describe('parseCodecChain', () => {
  it('splits on | and trims', () => {
    expect(parseCodecChain(' avro | lz4|aes-gcm |base64')).toEqual(['avro', 'lz4', 'aes-gcm', 'base64']);
    expect(parseCodecChain('lz4|base64')).toEqual(['lz4', 'base64']);
  });

  it('accepts every listed name', () => {
    for (const name of codecNames) expect(parseCodecChain(name)).toEqual([name]);
  });

  it('names the unknown step and every valid one', () => {
    const error = errorOf(() => parseCodecChain('avro|lz5|base64'));
    expect(error.code).toBe(ErrorCodes.CODEC_UNKNOWN);
    expect(error.message).toContain('"lz5"');
    for (const name of codecNames) expect(error.message).toContain(name);
    expect(error.context).toMatchObject({ codec: 'lz5', index: 1 });
  });

  it('rejects empty steps and calls base64 an encoding, not encryption', () => {
    expect(errorOf(() => parseCodecChain('avro||lz4')).code).toBe(ErrorCodes.CODEC_UNKNOWN);
    expect(errorOf(() => parseCodecChain('')).code).toBe(ErrorCodes.CODEC_UNKNOWN);
    expect(errorOf(() => parseCodecChain('encrypt')).code).toBe(ErrorCodes.CODEC_UNKNOWN);
  });

  it('requires the serializer to come first', () => {
    const error = errorOf(() => parseCodecChain('lz4|json'));
    expect(error.code).toBe(ErrorCodes.CODEC_CHAIN_INVALID);
    expect(error.message).toContain('must be the first step');
    expect(errorOf(() => parseCodecChain('avro|json')).code).toBe(ErrorCodes.CODEC_CHAIN_INVALID);
  });
});

describe('the raw chain', () => {
  it('`none` is the chain of no steps: bytes pass through unchanged', async () => {
    const { parseCodecChain: parse, createCodecChain } = await import('../../../src/codecs/index.ts');
    expect(parse('none')).toEqual([]);
    const raw = createCodecChain('none', {});
    expect(raw.decode(Buffer.from([0, 255]))).toEqual(Buffer.from([0, 255]));
  });
});

import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/core/index.ts';
import { KeyRing } from '../../../src/codecs/index.ts';
import { tempDir, writeJson, errorOf } from './fixtures.ts';

const k1 = randomBytes(32).toString('base64');
const k2 = randomBytes(32).toString('base64');

describe('KeyRing', () => {
  it('reads id:base64key entries from an environment variable, first one active', () => {
    const ring = KeyRing.fromEnv('SLUICE_KEYS', { SLUICE_KEYS: `new:${k1}, old:${k2}` });
    expect(ring.activeId).toBe('new');
    expect(ring.ids()).toEqual(['new', 'old']);
    expect(ring.get('old')?.toString('base64')).toBe(k2);
    expect(ring.activeKey.toString('base64')).toBe(k1);
  });

  it('reads a key file with comments and one key per line', async () => {
    const dir = await tempDir();
    const path = await writeJson(dir, 'keys', `# rotated 2025-01\nnew:${k1}\n\nold:${k2}  # keep until March\n`);
    const ring = await KeyRing.fromFile(path);
    expect(ring.ids()).toEqual(['new', 'old']);
  });

  it('refuses a missing variable, bad base64, wrong length and duplicates with KEY_INVALID', () => {
    const cases = [
      () => KeyRing.fromEnv('SLUICE_KEYS', {}),
      () => KeyRing.parse(`a:${k1.slice(0, 10)}!`, 'test'),
      () => KeyRing.parse(`a:${randomBytes(16).toString('base64')}`, 'test'),
      () => KeyRing.parse(`a:${k1},a:${k2}`, 'test'),
      () => KeyRing.parse(`bad id:${k1}`, 'test'),
      () => KeyRing.parse(k1, 'test'),
      () => KeyRing.parse('# nothing here', 'test'),
    ];
    for (const make of cases) expect(errorOf(make).code).toBe(ErrorCodes.KEY_INVALID);
  });

  it('points at the line of a bad entry and never echoes key material', () => {
    const short = randomBytes(16).toString('base64');
    const error = errorOf(() => KeyRing.parse(`a:${k1}\nb:${short}`, '/etc/sluice/keys'));
    expect(error.context).toMatchObject({ file: '/etc/sluice/keys', line: 2 });
    expect(error.message).toContain('16 bytes');
    expect(error.message).not.toContain(short);
    expect(JSON.stringify(error.toJSON())).not.toContain(k1);
  });
});

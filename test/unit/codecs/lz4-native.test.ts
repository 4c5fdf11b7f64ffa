/**
 * The `lz4` package's native addon must be built and in use (npm's install
 * scripts for it are approved in package.json `allowScripts`): the package's
 * JavaScript fallback is an order of magnitude slower.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);

describe('lz4 native addon', () => {
  it('is built and is what the package calls for blocks and checksums', () => {
    const lz4 = require('lz4') as { encodeBlock: unknown; decodeBlock: unknown; utils: { bindings: unknown } };
    const native = require('lz4/build/Release/lz4.node') as { compress: unknown; uncompress: unknown };
    const xxhash = require('lz4/build/Release/xxhash.node') as object;
    expect(typeof native.compress).toBe('function');
    expect(Object.keys(xxhash).length).toBeGreaterThan(0);
    // lib/utils.js loads the addon (there is no fallback) and the block functions src/codecs/lz4-frame.ts calls are its own.
    expect(lz4.utils.bindings).toBe(native);
    expect(lz4.encodeBlock).toBe(native.compress);
    expect(lz4.decodeBlock).toBe(native.uncompress);
  });
});

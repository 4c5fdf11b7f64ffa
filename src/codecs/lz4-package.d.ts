/** The parts of the `lz4` package (no published types) that sluice uses: native blocks and xxHash32. */
declare module 'lz4' {
  /** Compresses `input` into `output`; returns the compressed length (0 if `output` is too small). */
  export function encodeBlock(input: Buffer, output: Buffer): number;
  /** Decompresses one block; returns the decompressed length, negative for malformed input or too small `output`. */
  export function decodeBlock(input: Buffer, output: Buffer): number;
  export function encodeBound(size: number): number;
  export const utils: {
    /** xxHash32 with seed 0. */
    blockChecksum(data: Buffer): number;
  };
}

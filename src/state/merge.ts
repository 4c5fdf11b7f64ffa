/**
 * Merges ascending iterators of the same key space into one ascending view. `layers` come newest
 * first and may hold null (deleted); for a key in several sources the newest wins, and a null hides
 * the key. `base` (the backend) is the oldest and holds no nulls.
 */
export function* mergeLayers(
  layers: readonly Iterator<[Buffer, Buffer | null]>[],
  base: Iterator<[Buffer, Buffer]>,
): IterableIterator<[Buffer, Buffer]> {
  const sources: Iterator<[Buffer, Buffer | null]>[] = [...layers, base];
  const heads = sources.map((source) => source.next());
  for (;;) {
    let min: Buffer | undefined;
    let winner: Buffer | null = null;
    for (const head of heads) {
      if (head.done === true) continue;
      // Strictly less only: on a tie the earlier (newer) source keeps the win.
      if (min === undefined || Buffer.compare(head.value[0], min) < 0) [min, winner] = head.value;
    }
    if (min === undefined) return;
    for (let i = 0; i < heads.length; i++) {
      const head = heads[i]!;
      if (head.done !== true && head.value[0].equals(min)) heads[i] = sources[i]!.next();
    }
    if (winner !== null) yield [min, winner];
  }
}

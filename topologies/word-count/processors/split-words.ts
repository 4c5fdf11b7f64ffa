import { defineProcessor } from 'sluice';

export interface Word {
  word: string;
}

/** One record per word: lower-cased, letters and apostrophes only; an empty line emits nothing. */
export default defineProcessor<string, Word>((line) =>
  (line.toLowerCase().match(/[\p{L}']+/gu) ?? []).map((word) => ({ word })),
);

/**
 * Text for the word-count scenarios: deterministic lines of words (a skewed
 * vocabulary with capitals, apostrophes, accented letters, digits and
 * punctuation, so the splitting rule is exercised, not only spaces), each
 * with an event time, and what the counts must come out as: computed here by
 * calling the word-count topology's own splitting function line by line and
 * counting in a Map, with no stage, topic or commit in between.
 */
import type { Message } from 'kafkajs';
import splitWords from '../../topologies/word-count/processors/split-words.ts';
import { fillTopic } from './kafka.ts';
import { rng } from './records.ts';

const VOCABULARY = 3_000;
const SPAN_MINUTES = 30;
const stems = ['str', 'an', 'el', 'or', 'qu', 'ri', 'th', 'vo', 'ka', 'mi', 'ne', 'do', 'sa', 'wu', 'ge'];
const odd = ["don't", "O'Clock", 'Café', 'NAÏVE', 'straße', 'Élan', "rock'n'roll", 'Zürich', 'über'];
const punctuation = [' ', ' ', ' ', ', ', '. ', '; ', ' - ', '! ', ' (', ') ', ' 42 ', '_', '"'];

function vocabulary(): string[] {
  const next = rng(14);
  const words = [...odd];
  while (words.length < VOCABULARY) {
    let w = '';
    const parts = 1 + Math.floor(next() * 3);
    for (let i = 0; i < parts; i++) w += stems[Math.floor(next() * stems.length)]!;
    words.push(next() < 0.1 ? w[0]!.toUpperCase() + w.slice(1) : w);
  }
  return words;
}

export interface Corpus {
  lines: string[];
  /** Event time of line i, spread over SPAN_MINUTES ending about now (a broker keeps records by their timestamps). */
  timestamps: number[];
}

export function makeCorpus(count: number): Corpus {
  const words = vocabulary();
  const next = rng(1_400 + count);
  const end = Math.floor(Date.now() / 60_000) * 60_000;
  const start = end - SPAN_MINUTES * 60_000;
  const lines: string[] = [];
  const timestamps: number[] = [];
  for (let i = 0; i < count; i++) {
    const n = 4 + Math.floor(next() * 12);
    let line = '';
    // Squaring skews the choice towards the first words: a few words are common, most are rare, as in text.
    for (let j = 0; j < n; j++) line += words[Math.floor(next() * next() * words.length)]! + punctuation[Math.floor(next() * punctuation.length)]!;
    lines.push(line.trim());
    timestamps.push(start + Math.floor((i * SPAN_MINUTES * 60_000) / count));
  }
  return { lines, timestamps };
}

export function wordsOf(line: string): string[] {
  // The splitting function reads no context: it is called here as the plain function it is.
  return (splitWords(line, undefined as never) as { word: string }[]).map((w) => w.word);
}

/** Final count per word. */
export function expectedCounts(corpus: Corpus): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of corpus.lines) for (const w of wordsOf(line)) counts.set(w, (counts.get(w) ?? 0) + 1);
  return counts;
}

/** Count per `word@windowStart` of 1-minute tumbling windows (every window, closed or not). */
export function expectedWindowCounts(corpus: Corpus): Map<string, number> {
  const counts = new Map<string, number>();
  corpus.lines.forEach((line, i) => {
    const start = Math.floor(corpus.timestamps[i]! / 60_000) * 60_000;
    for (const w of wordsOf(line)) counts.set(`${w}@${start}`, (counts.get(`${w}@${start}`) ?? 0) + 1);
  });
  return counts;
}

/** A new topic holding the corpus as raw UTF-8 lines without keys, each with its event time. */
export async function fillWithLines(topic: string, partitions: number, corpus: Corpus): Promise<void> {
  console.error(`filling ${topic} (${partitions} partitions) with ${corpus.lines.length.toLocaleString('en')} lines`);
  await fillTopic(topic, partitions, corpus.lines.length, (i): Message => ({ value: corpus.lines[i]!, timestamp: String(corpus.timestamps[i]) }));
}

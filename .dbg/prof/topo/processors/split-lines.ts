import { defineProcessor } from 'sluice';
import split from "/work/main/topologies/word-count/processors/split-words.ts";
// The input is raw UTF-8 lines, as Kafka Streams reads them with a byte-array serde.
export default defineProcessor<Buffer, { word: string }>((line, ctx) => split(line.toString('utf8'), ctx));

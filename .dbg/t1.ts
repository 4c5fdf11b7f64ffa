import { runTestFile } from '../src/testing/index.ts';
import { createLogger } from '../src/core/index.ts';
const r = await runTestFile('topologies/word-count/word-count.test.yaml', { logger: createLogger({}, { level: 'info' } as any) });
console.log(JSON.stringify(r, null, 1).slice(0, 3000));

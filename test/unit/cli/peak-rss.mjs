// Runs the CLI as bin/sluice.js does, then prints the process' peak RSS on stderr's last line,
// so a test can bound what one command cost in memory.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../../../src/cli/main.ts');
const code = await main(process.argv);
process.stderr.write(`peak-rss-kb ${process.resourceUsage().maxRSS}\n`);
process.exitCode = code;

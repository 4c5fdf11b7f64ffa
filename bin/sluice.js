#!/usr/bin/env node
// sluice is written in TypeScript and so are users' processor modules: tsx loads
// both without a separate build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);

#!/usr/bin/env node
// sluice is written in TypeScript and so are users' processor modules: tsx loads
// both without a separate build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
// The command is over: what a client library left scheduled (kafkajs retrying a
// connection it was told to give up) must not keep the process alive. Output
// still queued for a slow reader is written first.
const exit = () => (process.stdout.writableLength > 0 ? process.stdout.once('drain', exit) : process.exit());
setTimeout(exit, 1_000).unref();

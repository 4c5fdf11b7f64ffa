/** The public library API of sluice. */
export * from './core/index.ts';
export * from './processors/index.ts';
export * from './topology/index.ts';

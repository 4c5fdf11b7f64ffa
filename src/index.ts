/** The public library API of sluice. */
export * from './core/index.ts';

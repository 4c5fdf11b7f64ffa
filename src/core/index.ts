export * from './errors.ts';
export * from './record.ts';
export * from './logger.ts';

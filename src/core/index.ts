export * from './errors.ts';
export * from './record.ts';
export * from './logger.ts';
export * from './read-file.ts';
export * from './http-policy.ts';

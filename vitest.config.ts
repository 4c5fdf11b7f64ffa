import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'topologies/**/*.test.ts'],
          sequence: { groupOrder: 0 },
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          sequence: { groupOrder: 0 },
          // Starts a real broker through scripts/kafka.sh unless KAFKA_BROKERS is set, and
          // a real schema registry through scripts/registry.sh unless SCHEMA_REGISTRY_URL is.
          globalSetup: ['test/setup/kafka.ts', 'test/setup/registry.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          // Fault scenarios against the real broker: short forms under `npm test`,
          // full forms with SLUICE_RELIABILITY=full (`npm run test:reliability`).
          // The 20-minute soak runs only with SLUICE_SOAK=1 (`npm run test:soak`).
          // After the other projects and one file at a time: each scenario runs
          // several stage processes and injects faults on timers, which a machine
          // busy with other test files would stretch past their bounds.
          name: 'reliability',
          sequence: { groupOrder: 1 },
          fileParallelism: false,
          include: process.env.SLUICE_SOAK === '1' ? ['test/reliability/soak.test.ts'] : ['test/reliability/**/*.test.ts'],
          exclude: process.env.SLUICE_SOAK === '1' ? [] : ['test/reliability/soak.test.ts'],
          globalSetup: ['test/setup/kafka.ts'],
          testTimeout: process.env.SLUICE_RELIABILITY === 'full' || process.env.SLUICE_SOAK === '1' ? 3_600_000 : 300_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // Starts a real broker through scripts/kafka.sh unless KAFKA_BROKERS is set.
          globalSetup: ['test/setup/kafka.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          // Fault scenarios against the real broker: short forms under `npm test`,
          // full forms with SLUICE_RELIABILITY=full (`npm run test:reliability`).
          // The 20-minute soak runs only with SLUICE_SOAK=1 (`npm run test:soak`).
          name: 'reliability',
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

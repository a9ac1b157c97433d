import { defineConfig } from 'vitest/config';

// unit: pure cores, no network. docs: the README, the Dockerfile and examples/ checked against the
// code they describe, no network. integration and e2e: a real OpenBao dev server per KV version,
// started once in test/helpers/global-setup.ts; e2e spawns the built CLI (npm run build first).
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], sequence: { groupOrder: 0 } } },
      { test: { name: 'docs', include: ['test/docs/**/*.test.ts'], sequence: { groupOrder: 0 } } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Two cores: keep the servers and the spawned CLIs from starving each other.
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});

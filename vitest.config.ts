import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['spec/**/*.spec.ts'],
    // Type-checks and builds dist/ once: the specs that run the built CLI never see a stale build.
    globalSetup: ['spec/support/buildOnce.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Crash and CLI tests spawn processes; two workers fit the 2-core machines this runs on.
    maxWorkers: 2,
  },
});

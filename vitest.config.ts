import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: FFmpeg-heavy files in parallel would only slow each other down.
    fileParallelism: false,
    pool: 'forks',
  },
});

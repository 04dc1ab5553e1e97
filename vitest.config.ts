import { defineConfig } from 'vitest/config';

// Two cores. FFmpeg-heavy and timing-sensitive files (media, faults, the browser, the ones that
// start service processes) run one at a time; the API's unit and integration files, mostly
// waiting on PostgreSQL, Redis and small FFmpeg runs, two at a time beside them. Every
// integration file has its own schema and queue.
const serial = [
  'test/ffmpeg/**/*.test.ts',
  'test/faults/**/*.test.ts',
  'test/e2e/**/*.test.ts',
  'test/integration/embedded.test.ts',
  'test/integration/*scale-out.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'media-faults-browser', include: serial, fileParallelism: false } },
      { extends: true, test: { name: 'api', include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'], exclude: serial, maxWorkers: 2 } },
    ],
  },
});

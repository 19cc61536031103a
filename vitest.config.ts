import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';

export default defineConfig({
  test: {
    // Two cores here: keep workers few so parsing tests and browser tests do not starve.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: 'node',
          environment: 'node',
          include: ['main/**/*.test.ts', 'shared/**/*.test.ts', 'test/node/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        plugins: [vue()],
        resolve: { alias: { '@shared': resolve(import.meta.dirname, 'shared') } },
        test: {
          name: 'renderer',
          // Option builders and stores are tested without a DOM.
          environment: 'node',
          include: ['renderer/**/*.test.ts', 'test/renderer/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});

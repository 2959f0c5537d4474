/** @jest-config-loader esbuild-register */
import type { Config } from 'jest';

const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', {}] },
  // ESM-only packages a test imports (the CometD client and what it pulls in) are transformed too.
  transformIgnorePatterns: [
    '/node_modules/(?!(nanoid|cometd|cometd-nodejs-client|http-proxy-agent|https-proxy-agent|agent-base|proxy-agent-negotiate)/)',
  ],
  collectCoverageFrom: ['machines/**/*.ts', 'src/**/*.ts'],
  // Enforced when run with --coverage (npm run coverage; CI): the statecharts and the engine.
  coverageThreshold: {
    global: { lines: 90, branches: 80 },
    './machines/': { lines: 95, branches: 90 },
    './src/engine/': { lines: 95, branches: 90 },
  },
};

export default config;

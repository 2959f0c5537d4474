/** @jest-config-loader esbuild-register */
import type { Config } from 'jest';

const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', {}] },
  transformIgnorePatterns: ['/node_modules/(?!nanoid/)'],
  collectCoverageFrom: ['machines/**/*.ts', 'src/**/*.ts'],
  // Enforced when run with --coverage (npm run coverage; CI): the statecharts and the engine.
  coverageThreshold: {
    global: { lines: 90, branches: 80 },
    './machines/': { lines: 95, branches: 90 },
    './src/engine/': { lines: 95, branches: 90 },
  },
};

export default config;

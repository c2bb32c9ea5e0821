// Jest runs the TypeScript sources as native ES modules (see docs/adr/0001-esm-and-jest.md):
// @swc/jest only strips types, `tsc --noEmit` in `npm test` does the type checking.
/** @type {import('jest').Config} */
export default {
  // Node's environment, with a test's stderr (its logs) printed only when the test fails.
  testEnvironment: '<rootDir>/test/support/quiet-environment.js',
  // Finds PostgreSQL for its tests once per run, or says once that they are skipped and why.
  globalSetup: '<rootDir>/test/support/postgres-setup.js',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'es6' },
        sourceMaps: 'inline',
      },
    ],
  },
  // Sources import siblings as './x.js' (NodeNext); Jest resolves the .ts file.
  // libphonenumber-js's ES build imports its metadata JSON without an import attribute, which
  // Jest's ESM mode warns about in every suite; its CommonJS build (same code, same metadata) doesn't.
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    '^libphonenumber-js/max$': '<rootDir>/node_modules/libphonenumber-js/max/index.cjs',
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  // Real SQLite, real HTTP and the sandbox: give slow CI machines room, never assert on time.
  testTimeout: 60_000,
  maxWorkers: process.env.CI ? 2 : '50%',
};

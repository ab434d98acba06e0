/** Jest runs every package's tests from the root; sources are loaded through @swc/jest,
 *  and workspace imports resolve to each package's src so no build is needed to test. */
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }]
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  testMatch: ['<rootDir>/packages/*/src/**/*.test.ts', '<rootDir>/examples/**/*.test.ts', '<rootDir>/tests/**/*.test.ts'],
  moduleNameMapper: {
    '^@tributary/core/testing$': '<rootDir>/packages/core/src/testing/index.ts',
    '^@tributary/(core|storage-file|storage-sqlite|raft|client|kafka-protocol|cli)$': '<rootDir>/packages/$1/src/index.ts',
  },
  testTimeout: 30000,
}

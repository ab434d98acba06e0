/** Jest runs every package's tests from the root; sources are loaded through @swc/jest,
 *  and workspace imports resolve to each package's src so no build is needed to test. */
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }]
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  testMatch: ['<rootDir>/packages/*/src/**/*.test.ts', '<rootDir>/examples/**/*.test.ts', '<rootDir>/tests/**/*.test.ts'],
  moduleNameMapper: {
    '^@tributary/client/kafkajs$': '<rootDir>/packages/client/src/kafkajs/index.ts',
    '^@tributary/core/internal$': '<rootDir>/packages/core/src/internal.ts',
    '^@tributary/core/net$': '<rootDir>/packages/core/src/net.ts',
    '^@tributary/(core|raft|cluster|kafka-protocol)/testing$': '<rootDir>/packages/$1/src/testing/index.ts',
    '^@tributary/(core|storage-file|storage-sqlite|raft|cluster|client|kafka-protocol|cli)$': '<rootDir>/packages/$1/src/index.ts',
    '^@tributary/tests/supervisor$': '<rootDir>/tests/supervisor/index.ts',
  },
  testTimeout: 30000,
}

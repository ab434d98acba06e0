/**
 * @tributary/core/testing — shared test helpers, imported by every package's tests rather than
 * copied: a seeded random source, a manual clock, record batch builders, the storage conformance
 * suite every adapter runs, the Broker conformance suite every broker runs, the SIGKILL crash
 * harness the disk adapters share, polling waits, and a self-signed certificate for TLS tests. Its suites declare jest tests (jest is an
 * optional peer dependency: the other helpers need no test runner).
 */
export { createRandom } from './random'
export { ManualClock } from './manual-clock'
export { makeBatch, makeRecords, toRecordInput, DEFAULT_TEST_TIMESTAMP_MS } from './make-batch'
export { runStorageConformance, CONFORMANCE_LOG_CONFIG } from './storage-conformance'
export { runBrokerConformance } from './broker-conformance'
export { runCrashTest } from './crash-harness'
export { CRASH_LOG_CONFIG, crashRecord } from './crash-workload'
export { waitUntil, eventually } from './wait'
export { readAll, readLog } from './read-log'
export { makeTestCertificate } from './test-certificate'
export { run, start } from './child-process'
export type { RunResult, Running } from './child-process'

export type { Random } from './random'
export type { TestRecord, MakeBatchOptions } from './make-batch'
export type { StorageFactory, StorageHandle, StorageConformanceOptions } from './storage-conformance'
export type { BrokerFactory, BrokerHandle, BrokerConformanceOptions } from './broker-conformance'
export type { CrashTestOptions } from './crash-harness'
export type { CrashStorageModule } from './crash-workload'
export type { ReadRecord, LogRecord } from './read-log'

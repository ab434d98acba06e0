import { join } from 'node:path'
import { runCrashTest } from '@tributary/core/testing'

/**
 * The shared SIGKILL crash test: a child appends, syncs (acks=all) and acknowledges batches until
 * it is killed at a random moment; every acknowledged batch must survive every recovery.
 */
runCrashTest({ label: 'sqlite', storageModule: join(__dirname, 'crash-storage.ts') })

import { join } from 'node:path'
import { runCrashTest } from '@tributary/core/testing'

// The shared SIGKILL crash test: a child appends with acks=all (append, sync, then print the ack)
// and is killed at random moments; after each kill every acknowledged batch must be readable.
// Set CRASH_KILLS for more rounds and CRASH_SEED to replay one run.
runCrashTest({ label: 'file storage', storageModule: join(__dirname, 'testing', 'crash-storage.ts') })

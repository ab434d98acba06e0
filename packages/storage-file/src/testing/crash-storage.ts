import { FileStorage } from '../file-storage'

/**
 * The storage module of the shared SIGKILL crash test (`runCrashTest` in
 * `@tributary/core/testing`): the child process and the verifying parent both build their
 * storage here.
 */

/** createStorage returns an unopened FileStorage over `dir`, logging nothing (the harness checks the data). */
export function createStorage(dir: string): FileStorage {
  return new FileStorage({ dir, logger: { info: () => {}, warn: () => {} } })
}

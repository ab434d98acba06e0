import * as fs from 'node:fs'
import { join } from 'node:path'
import { TributaryError, type StoredMetadata } from '@tributary/core'
import { wrapStorageError } from '@tributary/core/internal'
import { fsyncDirAsync, isMissing } from './io'

/** METADATA_FILE_NAME is the broker metadata file in a storage directory. */
export const METADATA_FILE_NAME = 'metadata.json'

/**
 * MetadataFile keeps the broker metadata as one JSON file replaced atomically: written to a
 * temporary file, fdatasynced, renamed over the old one, and the directory fsynced, so a crash
 * leaves either the old or the new metadata. Saves are serialised in call order.
 */
export class MetadataFile {
  private readonly path: string
  private current: StoredMetadata | null = null
  private chain: Promise<void> = Promise.resolve()

  constructor(private readonly dir: string) {
    this.path = join(dir, METADATA_FILE_NAME)
  }

  /** load reads the file (once, at open). A file that is not valid metadata is KAFKA_STORAGE_ERROR. */
  load(): void {
    let text: string
    try {
      text = fs.readFileSync(this.path, 'utf8')
    } catch (err) {
      if (isMissing(err)) return
      throw wrapStorageError(err, `read ${this.path}`)
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (err) {
      throw new TributaryError('KAFKA_STORAGE_ERROR', `${this.path} is not valid JSON`, { cause: err, retriable: false })
    }
    if ((parsed as StoredMetadata | null)?.version !== 1)
      throw new TributaryError('KAFKA_STORAGE_ERROR', `${this.path} has an unknown version`, { retriable: false })
    this.current = parsed as StoredMetadata
  }

  /** get returns a copy of the last durably saved metadata, or null. */
  get(): StoredMetadata | null {
    return this.current === null ? null : structuredClone(this.current)
  }

  /** save replaces the metadata; it resolves once the new file is durable. */
  save(metadata: StoredMetadata): Promise<void> {
    const copy = structuredClone(metadata)
    const text = JSON.stringify(copy)
    const run = this.chain.then(async () => {
      await this.write(text)
      this.current = copy
    })
    this.chain = run.catch(() => {})
    return run
  }

  /** settled resolves once every save started so far has finished (successfully or not). */
  settled(): Promise<void> {
    return this.chain
  }

  private async write(text: string): Promise<void> {
    const tmp = `${this.path}.tmp`
    try {
      const handle = await fs.promises.open(tmp, 'w')
      try {
        await handle.writeFile(text, 'utf8')
        await handle.datasync()
      } finally {
        await handle.close()
      }
      await fs.promises.rename(tmp, this.path)
    } catch (err) {
      throw wrapStorageError(err, `write ${this.path}`)
    }
    await fsyncDirAsync(this.dir)
  }
}

import { isAbsolute } from 'node:path'
import { TributaryError } from '@tributary/core'
import { resolveSqliteOptions, SQLITE_STORAGE_DEFAULTS } from './options'
import type { SqliteStorageOptions } from './options'

function configError(options: unknown): TributaryError {
  try {
    resolveSqliteOptions(options as SqliteStorageOptions)
  } catch (err) {
    expect(err).toBeInstanceOf(TributaryError)
    return err as TributaryError
  }
  throw new Error('expected INVALID_CONFIG')
}

describe('resolveSqliteOptions', () => {
  it('applies every default and makes the path absolute', () => {
    const resolved = resolveSqliteOptions({ path: 'data/tributary.db' })
    expect(isAbsolute(resolved.path)).toBe(true)
    expect(resolved).toMatchObject(SQLITE_STORAGE_DEFAULTS)
    expect(Object.isFrozen(resolved)).toBe(true)
  })

  it.each([
    [{ path: 'x.db', pageSize: 4096 }, 'options.pageSize'],
    [{ path: '' }, 'options.path'],
    [{ path: ':memory:' }, 'options.path'],
    [{ path: 'x.db', pageSizeBytes: 3000 }, 'options.pageSizeBytes'],
    [{ path: 'x.db', walAutocheckpointPages: 0 }, 'options.walAutocheckpointPages'],
    [{ path: 'x.db', mmapSizeBytes: -1 }, 'options.mmapSizeBytes'],
    [{ path: 'x.db', checkOnOpen: 'full' }, 'options.checkOnOpen'],
    [{ path: 'x.db', clock: {} }, 'options.clock'],
  ])('rejects %j with INVALID_CONFIG naming %s', (options, path) => {
    const err = configError(options)
    expect(err.code).toBe('INVALID_CONFIG')
    expect(err.details.path).toBe(path)
  })
})

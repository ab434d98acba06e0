import { createRequire } from 'node:module'
import { TributaryError } from '@tributary/core'
import { messageOf } from './corrupt'

/**
 * Native compressors are loaded on first use, not on import: importing @tributary/kafka-protocol
 * must work on a machine where an addon is absent (installed with --ignore-scripts, an
 * unsupported platform), and only a batch that actually needs the codec should fail.
 */

/** NativePackage names an npm package that holds a native compressor. */
export type NativePackage = 'snappy' | 'lz4-napi' | 'zstd-napi/binding'

// A synchronous require that resolves from this package's own dependencies: codecs are synchronous,
// so `import()` will not do. `__filename` exists under CommonJS (the .cjs build, jest); the ESM
// build has import.meta.url instead.
const requireHere = createRequire(typeof __filename === 'string' ? __filename : import.meta.url)

const loaded = new Map<NativePackage, unknown>()

/**
 * loadNative returns the module `name`, loading it once. Throws UNSUPPORTED_COMPRESSION_TYPE naming
 * the package and the codec when it cannot be loaded (not installed, or its addon not built).
 */
export function loadNative<T>(name: NativePackage, codec: string): T {
  const cached = loaded.get(name)
  if (cached !== undefined) return cached as T
  let mod: T
  try {
    mod = requireHere(name) as T
  } catch (cause) {
    const why = messageOf(cause).split('\n')[0]
    throw new TributaryError(
      'UNSUPPORTED_COMPRESSION_TYPE',
      `${codec} compression needs the npm package '${packageOf(name)}', which cannot be loaded here: ${why}`,
      { cause, details: { package: packageOf(name), codec } },
    )
  }
  loaded.set(name, mod)
  return mod
}

function packageOf(name: NativePackage): string {
  return name.split('/')[0] as string
}

import { type NativePackage, loadNative } from './native'
import { thrown } from './test-kit'

describe('loadNative', () => {
  test('a package that cannot be loaded is UNSUPPORTED_COMPRESSION_TYPE naming the package and the codec', () => {
    const err = thrown(() => loadNative('tributary-no-such-compressor/binding' as NativePackage, 'brotli'))
    expect(err.code).toBe('UNSUPPORTED_COMPRESSION_TYPE')
    expect(err.retriable).toBe(false)
    expect(err.message).toMatch(
      /^brotli compression needs the npm package 'tributary-no-such-compressor', which cannot be loaded here: Cannot find module/,
    )
    expect(err.details).toEqual({ package: 'tributary-no-such-compressor', codec: 'brotli' })
  })

  test('a package is loaded once and then served from memory', () => {
    const first = loadNative<object>('lz4-napi', 'lz4')
    expect(loadNative<object>('lz4-napi', 'lz4')).toBe(first)
    expect(typeof (first as { compressFrameSync?: unknown }).compressFrameSync).toBe('function')
  })
})

import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.shared'

// shims: the lazy loader of the native compressors (src/compression/native.ts) needs this file's
// location under both module formats (import.meta.url in the .cjs build, __filename in the ESM one).
export default defineConfig({ ...packageBuild({ index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' }), shims: true })

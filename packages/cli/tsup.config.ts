import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.shared'

// bin.ts is the executable (`tributary`), index.ts the programmatic surface (createProgram, runServe).
export default defineConfig(packageBuild({ index: 'src/index.ts', bin: 'src/bin.ts' }))

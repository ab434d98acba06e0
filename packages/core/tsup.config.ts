import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.shared'

// The crash harness forks `testing/crash-child.js` from beside itself (found through `__dirname`,
// which `shims` provides in the ESM build), so an installed package needs no tsx.
export default defineConfig(
  packageBuild(
    {
      index: 'src/index.ts',
      internal: 'src/internal.ts',
      net: 'src/net.ts',
      'testing/index': 'src/testing/index.ts',
      'testing/crash-child': 'src/testing/crash-child.ts',
    },
    { shims: true },
  ),
)

import type { Options } from 'tsup'

/**
 * packageBuild is every package's tsup configuration: ESM + CJS + .d.ts for Node 20, built from
 * `tsconfig.build.json` (which leaves tests out). `entry` maps output names to sources. Code
 * shared by several entries (`.`, `./internal`, `./testing`) goes into shared chunks in both
 * formats (`splitting`), so that a class such as TributaryError exists once and `instanceof`
 * holds across entries. `shims` gives the ESM build CommonJS's `__dirname`.
 */
export function packageBuild(entry: Record<string, string> = { index: 'src/index.ts' }, extra: Partial<Options> = {}): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    splitting: true,
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    tsconfig: 'tsconfig.build.json',
    ...extra,
  }
}

#!/usr/bin/env node
import { TributaryError } from '@tributary/core'
import { createProgram } from './program'

// The `tributary` executable: parse, run, and report a failure as one line with its code.
createProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    const code = error instanceof TributaryError ? ` [${error.code}]` : ''
    process.stderr.write(`tributary: ${(error as Error)?.message ?? String(error)}${code}\n`)
    process.exit(1)
  })

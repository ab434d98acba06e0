#!/usr/bin/env node
import { CommanderError } from 'commander'
import { TributaryError } from '@tributary/core'
import { EXIT_CODES, exitCodeFor } from './cli/exit-codes'
import { applyToAll, createProgram } from './program'

// The `tributary` executable: parse, run, and report a failure as one line with its code, exiting
// with the documented status (see EXIT_CODES: 1 failed, 2 bad usage, 3 target unavailable).
const program = createProgram()
applyToAll(program, (cmd) => cmd.exitOverride())
program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) {
    // --help and --version end here too, with exit code 0; commander has printed what it had to.
    process.exit(error.exitCode === 0 ? EXIT_CODES.OK : EXIT_CODES.USAGE)
  }
  const code = error instanceof TributaryError ? ` [${error.code}]` : ''
  process.stderr.write(`tributary: ${(error as Error)?.message ?? String(error)}${code}\n`)
  process.exit(exitCodeFor(error))
})

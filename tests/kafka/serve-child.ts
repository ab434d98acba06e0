/**
 * One `tributary serve` process as a child of the process supervisor (tests/supervisor), not run
 * by hand: the real command line, its arguments from SERVE_ARGS (a JSON list). The serve command
 * reports `{ type: 'ready', kafka: 'host:port' }` over IPC once listening, stops on
 * `{ type: 'stop' }` and when its parent goes.
 */
import { createProgram } from '@tributary/cli'

createProgram()
  .parseAsync(['node', 'tributary', 'serve', ...(JSON.parse(process.env.SERVE_ARGS ?? '[]') as string[])])
  .catch((error: unknown) => {
    console.error(error)
    process.exit(1)
  })

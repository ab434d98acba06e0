/**
 * @tributary/cli — the `tributary` command (`tributary serve`, …) and its parts for programs and
 * tests that run them in process.
 */
export { createProgram } from './program'
export { serveCommand, startServe } from './commands/serve'
export type { ServeOptions, Serving } from './commands/serve'

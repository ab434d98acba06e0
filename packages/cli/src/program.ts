import { Command } from 'commander'
import { serveCommand } from './commands/serve'

/**
 * createProgram builds the `tributary` command line: one module per command under commands/
 * (serve today; topics, groups, produce, consume, inspect, verify, console and metrics are to
 * follow as siblings), each contributing one commander Command.
 */
export function createProgram(): Command {
  const program = new Command('tributary')
    .description('Tributary: Kafka as a library, and a Kafka-compatible node for any Kafka client')
    .showHelpAfterError()
  program.addCommand(serveCommand())
  return program
}

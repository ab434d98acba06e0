import { Command } from 'commander'
import { EXIT_CODES_HELP } from './cli/exit-codes'
import { completionCommand } from './commands/completion'
import { consumeCommand } from './commands/consume'
import { groupsCommand } from './commands/groups'
import { inspectCommand, verifyCommand } from './commands/inspect'
import { produceCommand } from './commands/produce'
import { serveCommand } from './commands/serve'
import { topicsCommand } from './commands/topics'

/**
 * createProgram builds the `tributary` command line: one module per command under commands/,
 * each contributing one commander Command (serve, topics, groups, produce, consume, inspect,
 * verify, completion). Every command and subcommand has --help, which ends with the exit codes.
 */
export function createProgram(): Command {
  const program = new Command('tributary')
    .description('Tributary: Kafka as a library, and a Kafka-compatible node for any Kafka client')
    .showHelpAfterError()
  for (const cmd of [
    serveCommand(),
    topicsCommand(),
    groupsCommand(),
    produceCommand(),
    consumeCommand(),
    inspectCommand(),
    verifyCommand(),
    completionCommand(),
  ])
    program.addCommand(cmd)
  program.addHelpText('afterAll', `\n${EXIT_CODES_HELP}`)
  return program
}

/** applyToAll runs `fn` on `cmd` and every command below it. */
export function applyToAll(cmd: Command, fn: (cmd: Command) => void): void {
  fn(cmd)
  for (const sub of cmd.commands) applyToAll(sub, fn)
}

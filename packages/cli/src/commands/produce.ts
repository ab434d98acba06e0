import { createInterface } from 'node:readline'
import { Command, Option } from 'commander'
import type { Message } from '@tributary/core'
import { UsageError } from '../cli/exit-codes'
import { Progress, note, printJson } from '../cli/output'
import { type TargetFlags, addTargetOptions, collect, openTarget, parseIntArg, parseKeyValue } from '../cli/target'

/*
 * `tributary produce TOPIC`: one message per line of stdin (as kcat -P and
 * kafka-console-producer), an optional key before --key-delimiter, the same --header on each.
 * Lines are sent in bounded chunks, so memory stays flat however long stdin is.
 */

/** Messages sent per send() call: the producer batches them; stdin is not read further meanwhile. */
const CHUNK_MESSAGES = 1000
/** The longest line accepted, in bytes (a longer one is a usage error, not a silent cut). */
const MAX_LINE_BYTES = 1_048_576

interface ProduceFlags extends TargetFlags {
  keyDelimiter?: string
  header: string[]
  partition?: string
  acks: string
  compression: string
}

/** produceCommand is `tributary produce`. */
export function produceCommand(): Command {
  return addTargetOptions(new Command('produce').description('write stdin to a topic, one message per line'))
    .argument('<topic>', 'the topic (created on first use where the broker allows it)')
    .option('-K, --key-delimiter <sep>', 'split each line at the first SEP into key and value (no key without it)')
    .option('-H, --header <key=value>', 'a header on every message (repeatable)', collect, [])
    .option('-p, --partition <n>', 'write every message to this partition (default: by key, or spread)')
    .addOption(new Option('--acks <acks>', 'durability to wait for').choices(['all', '1', '0']).default('all'))
    .addOption(new Option('--compression <codec>', 'batch compression').choices(['none', 'gzip', 'snappy', 'lz4', 'zstd']).default('none'))
    .action(async (topic: string, flags: ProduceFlags) => {
      const headers = Object.fromEntries(flags.header.map((h) => parseKeyValue('--header', h)))
      const partition = flags.partition !== undefined ? parseIntArg('--partition', flags.partition) : undefined
      if (flags.keyDelimiter === '') throw new UsageError('--key-delimiter must not be empty')
      const target = await openTarget(flags)
      const progress = new Progress(`producing to ${topic}`)
      let produced = 0
      try {
        const producer = target.tb.producer({
          acks: flags.acks === 'all' ? 'all' : (Number(flags.acks) as 0 | 1),
          compression: flags.compression as 'none',
        })
        let chunk: Message[] = []
        const flush = async () => {
          if (chunk.length === 0) return
          await producer.send({ topic, messages: chunk })
          produced += chunk.length
          chunk = []
          progress.update(`${produced} messages`)
        }
        const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY })
        for await (const line of lines) {
          if (Buffer.byteLength(line) > MAX_LINE_BYTES)
            throw new UsageError(`line ${produced + chunk.length + 1} is over ${MAX_LINE_BYTES} bytes`)
          chunk.push(toMessage(line, flags.keyDelimiter, headers, partition))
          if (chunk.length >= CHUNK_MESSAGES) await flush()
        }
        await flush()
        await producer.disconnect()
      } finally {
        progress.done()
        await target.close()
      }
      if (flags.json) printJson({ topic, produced })
      else note(`produced ${produced} messages to ${topic}`)
    })
}

function toMessage(line: string, delimiter: string | undefined, headers: Record<string, string>, partition: number | undefined): Message {
  const message: Message = { value: line }
  if (delimiter !== undefined) {
    const at = line.indexOf(delimiter)
    if (at >= 0) {
      message.key = line.slice(0, at)
      message.value = line.slice(at + delimiter.length)
    }
  }
  if (Object.keys(headers).length > 0) message.headers = headers
  if (partition !== undefined) message.partition = partition
  return message
}

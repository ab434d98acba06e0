import { randomBytes } from 'node:crypto'
import { RecordBatch, encodeRecordBatch, type RecordInput } from '@tributary/core'
import { crc32c } from '@tributary/core/internal'
import { MESSAGE_PAYLOAD_BYTES, messagePool } from '../lib/data'
import { nowMs } from '../lib/stats'
import type { Measurement, Task } from '../lib/types'
import { BATCH_MESSAGES, byMode } from './log-tasks'
import type { Workload } from './types'

/**
 * codec: the record batch codec alone, no storage. `tributary-encode` encodes batches of 1,000
 * records; `tributary-decode` checks each batch's CRC and iterates its records, touching every
 * value; `baseline-frame` is the floor both compare with: copying each message's length-prefixed
 * key and value into 1 MiB buffers (baseline-fs without the write). The CRC-32C rows compare the
 * native implementation with a pure-JS table, in MB/s over a 1 MiB buffer.
 */
const CRC_INPUT_BYTES = 1024 * 1024
const BASE_TIMESTAMP_MS = 1_700_000_000_000

function recordBatches(count: number): RecordInput[][] {
  const pool = messagePool()
  const batches: RecordInput[][] = []
  for (let from = 0; from < count; from += BATCH_MESSAGES) {
    const n = Math.min(BATCH_MESSAGES, count - from)
    batches.push(pool.batch(from, n).map(({ key, value }, i) => ({ key, value, headers: [], timestamp: BASE_TIMESTAMP_MS + from + i })))
  }
  return batches
}

function encode(task: Task): Measurement {
  const inputs = recordBatches(task.messages)
  const startMs = nowMs()
  let bytes = 0
  for (let i = 0; i < inputs.length; i++) bytes += encodeRecordBatch(inputs[i]!, { baseOffset: i * BATCH_MESSAGES }).length
  const elapsedMs = nowMs() - startMs
  return {
    messages: task.messages,
    elapsedMs,
    payloadBytes: task.messages * MESSAGE_PAYLOAD_BYTES,
    extra: { batchBytes: Math.round(bytes / inputs.length) },
  }
}

function decode(task: Task): Measurement {
  const encoded = recordBatches(task.messages).map((records, i) => encodeRecordBatch(records, { baseOffset: i * BATCH_MESSAGES }))
  const startMs = nowMs()
  let seen = 0
  let valueBytes = 0
  for (const buf of encoded) {
    for (const record of RecordBatch.from(buf).records()) {
      valueBytes += record.value!.length
      seen++
    }
  }
  const elapsedMs = nowMs() - startMs
  if (valueBytes !== seen * 100) throw new Error(`decoded ${valueBytes} value bytes for ${seen} records`)
  return { messages: seen, elapsedMs, payloadBytes: seen * MESSAGE_PAYLOAD_BYTES }
}

function frame(task: Task): Measurement {
  const pool = messagePool()
  const buffer = Buffer.allocUnsafe(1024 * 1024)
  const startMs = nowMs()
  let used = 0
  for (let i = 0; i < task.messages; i++) {
    const { key, value } = pool.at(i)
    if (used + 8 + key.length + value.length > buffer.length) used = 0
    used = buffer.writeUInt32LE(key.length, used)
    used += key.copy(buffer, used)
    used = buffer.writeUInt32LE(value.length, used)
    used += value.copy(buffer, used)
  }
  const elapsedMs = nowMs() - startMs
  return { messages: task.messages, elapsedMs, payloadBytes: task.messages * MESSAGE_PAYLOAD_BYTES }
}

/** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), one table lookup per byte: the JS baseline. */
const CRC_TABLE = (() => {
  const table = new Int32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1
    table[n] = c
  }
  return table
})()

function crc32cTable(bytes: Uint8Array): number {
  let crc = -1
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ -1) >>> 0
}

function crc(task: Task, fn: (bytes: Uint8Array) => number): Measurement {
  const input = randomBytes(CRC_INPUT_BYTES)
  if (crc32c(input) !== crc32cTable(input)) throw new Error('native and table CRC-32C disagree')
  const rounds = Number(task.params.rounds)
  const startMs = nowMs()
  for (let i = 0; i < rounds; i++) fn(input)
  const elapsedMs = nowMs() - startMs
  return { messages: 0, elapsedMs, payloadBytes: rounds * CRC_INPUT_BYTES }
}

export const codec: Workload = {
  name: 'codec',
  summary: 'record batch encode and decode (CRC + iterate) alone, batches of 1,000; CRC-32C native vs JS',
  plan(mode) {
    const messages = byMode(mode, 500_000, 2_000_000)
    const task = (system: string, params: Task['params'], baseline?: string): Task => ({
      workload: 'codec',
      system,
      label: system,
      messages: system.startsWith('crc') ? 0 : messages,
      timeLimitMs: 30_000,
      params,
      ...(baseline ? { baseline } : {}),
    })
    const rounds = { rounds: byMode(mode, 50, 200) }
    return [
      task('tributary-encode', { batchMessages: BATCH_MESSAGES }, 'baseline-frame'),
      task('tributary-decode', { batchMessages: BATCH_MESSAGES }, 'baseline-frame'),
      task('baseline-frame', {}),
      task('crc32c-native', rounds, 'crc32c-js-table'),
      task('crc32c-js-table', rounds),
    ]
  },
  async run(task) {
    switch (task.system) {
      case 'tributary-encode':
        return encode(task)
      case 'tributary-decode':
        return decode(task)
      case 'baseline-frame':
        return frame(task)
      case 'crc32c-native':
        return crc(task, crc32c)
      case 'crc32c-js-table':
        return crc(task, crc32cTable)
      default:
        throw new Error(`unknown codec system ${task.system}`)
    }
  },
}

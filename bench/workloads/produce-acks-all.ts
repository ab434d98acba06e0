import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs'
import path from 'node:path'
import { MESSAGE_PAYLOAD_BYTES, messagePool } from '../lib/data'
import { LatencySamples, nowMs } from '../lib/stats'
import type { Measurement, Result, Task } from '../lib/types'
import { TOPIC } from '../systems/tributary'
import { createTopic, openTributary, type StorageKind } from '../systems/tributary-api'
import { byMode } from './log-tasks'
import type { Workload } from './types'

/**
 * produce-acks-all: P concurrent producers (1 and 64) each send one message at a time with
 * acks=all and wait for it, so that every acknowledgement means "on disk" and throughput depends
 * on how many appends one fsync covers (group commit). Ideal group commit covers all P
 * outstanding sends with one fdatasync: P messages per fdatasync latency. Each producer row's
 * ratio is to the ideal from its own fsync probe (notes: fsyncProbeP50Ms, idealMsgsPerSec).
 * Reported beside them: the `fdatasync` rows (append one message to a file and fdatasync, repeat;
 * and the same writing over one block) and `ideal-group-commit ×P` rows derived from the
 * appending row's median (capped by produce/baseline-fs when that ran), for reference.
 *
 * `tributary-file ×64 acks=1` is the same 64 producers with acks 1: no fsync to wait for, so its
 * rate is what the CPU allows one-message sends through the client and broker. Where it is below
 * the ideal, the ideal cannot be reached by any group commit (a fast disk's fdatasync is shorter
 * than 64 sends' CPU time); its ratio is to the same ideal.
 */

const MESSAGES_PER_SEND = 1
const PRODUCER_COUNTS = [1, 64]
/**
 * The machine's fsync latency drifts with whatever else runs on it, so each producer run probes
 * it itself (up to PROBE_SYNCS appending fdatasyncs or PROBE_MS, before and again after) and its
 * ideal is computed from that median, not from a measurement taken minutes apart.
 */
const PROBE_MS = 500
const PROBE_SYNCS = 1_000

async function produceWithProducers(task: Task, dir: string): Promise<Measurement> {
  const tb = await openTributary(task.system.replace('tributary-', '') as StorageKind, dir)
  await createTopic(tb, TOPIC, 1)
  const producerCount = Number(task.params.producers)
  const acks = task.params.acks === 1 ? 1 : 'all'
  const producers = Array.from({ length: producerCount }, () => tb.producer({ acks, lingerMs: 0 }))
  for (const producer of producers) await producer.connect?.()
  const probe = new LatencySamples(2 * PROBE_SYNCS)
  syncSamples(path.join(dir, 'probe.log'), true, probe, PROBE_SYNCS, PROBE_MS)
  const pool = messagePool()
  const latencies = new LatencySamples(task.messages)
  let next = 0
  const startMs = nowMs()
  const deadlineMs = startMs + task.timeLimitMs
  // Each producer claims the next message index, sends it and waits: a closed loop per producer.
  const loops = producers.map(async (producer) => {
    while (next < task.messages && nowMs() < deadlineMs) {
      const from = next
      next += MESSAGES_PER_SEND
      const sentAtMs = nowMs()
      await producer.send({ topic: TOPIC, messages: pool.batch(from, MESSAGES_PER_SEND), acks })
      latencies.add(nowMs() - sentAtMs)
    }
  })
  await Promise.all(loops)
  const elapsedMs = nowMs() - startMs
  const sent = latencies.count * MESSAGES_PER_SEND
  for (const producer of producers) await producer.disconnect?.()
  await tb.close()
  syncSamples(path.join(dir, 'probe.log'), true, probe, PROBE_SYNCS, PROBE_MS)
  const fsyncP50Ms = probe.summary().p50Ms!
  const idealMsgsPerSec = (producerCount * MESSAGES_PER_SEND * 1000) / fsyncP50Ms
  return {
    messages: sent,
    elapsedMs,
    payloadBytes: sent * MESSAGE_PAYLOAD_BYTES,
    ...latencies.summary(),
    baselineMsgsPerSec: idealMsgsPerSec,
    extra: { fsyncProbeP50Ms: fsyncP50Ms.toPrecision(3), idealMsgsPerSec: Math.round(idealMsgsPerSec) },
  }
}

/**
 * syncSamples writes one framed message to `file` and fdatasyncs it, repeatedly, adding each
 * latency to `samples`: appended at the end (what a growing segment pays: the new size is
 * metadata to flush too) or written over the first block (what a reused SQLite WAL pays).
 */
function syncSamples(file: string, append: boolean, samples: LatencySamples, count: number, limitMs: number): void {
  const fd = openSync(file, append ? 'a' : 'w')
  const frame = Buffer.alloc(MESSAGE_PAYLOAD_BYTES + 8)
  const deadlineMs = nowMs() + limitMs
  for (let i = 0; i < count && nowMs() < deadlineMs; i++) {
    const t = nowMs()
    if (append) writeSync(fd, frame)
    else writeSync(fd, frame, 0, frame.length, 0)
    fdatasyncSync(fd)
    samples.add(nowMs() - t)
  }
  closeSync(fd)
}

/** fdatasyncLatency is the `fdatasync` (append) and `fdatasync-overwrite` rows. */
async function fdatasyncLatency(task: Task, dir: string): Promise<Measurement> {
  const samples = new LatencySamples(task.messages)
  const startMs = nowMs()
  syncSamples(path.join(dir, 'fsync.log'), task.system === 'fdatasync', samples, task.messages, task.timeLimitMs)
  const elapsedMs = nowMs() - startMs
  return { messages: samples.count, elapsedMs, payloadBytes: samples.count * MESSAGE_PAYLOAD_BYTES, ...samples.summary() }
}

/** idealRows derives `ideal-group-commit ×P`: P sends covered by each fdatasync of median latency. */
function idealRows(results: readonly Result[]): Result[] {
  const fsync = results.find((r) => r.workload === 'produce-acks-all' && r.system === 'fdatasync')
  if (!fsync?.p50Ms) return []
  const floor = results.find((r) => r.workload === 'produce' && r.system === 'baseline-fs')?.msgsPerSec ?? Infinity
  return PRODUCER_COUNTS.map((producers) => {
    const msgsPerSec = Math.min(floor, (producers * MESSAGES_PER_SEND * 1000) / fsync.p50Ms!)
    return {
      workload: 'produce-acks-all',
      system: 'ideal-group-commit',
      label: `ideal-group-commit ×${producers}`,
      params: { producers, messagesPerSend: MESSAGES_PER_SEND },
      messages: 0,
      msgsPerSec,
      mbPerSec: (msgsPerSec * MESSAGE_PAYLOAD_BYTES) / 1e6,
      p50Ms: fsync.p50Ms,
      p99Ms: null,
      p999Ms: null,
      peakRssBytes: null,
      runs: fsync.runs,
      baseline: null,
      ratio: null,
      baselineMsgsPerSec: null,
      extra: { derivedFrom: `fdatasync p50${Number.isFinite(floor) ? ', capped by produce/baseline-fs' : ''}` },
    }
  })
}

export const produceAcksAll: Workload = {
  name: 'produce-acks-all',
  summary: '1 and 64 producers, one message per send, acks=all (group commit); fdatasync latency; ideal group commit',
  plan(mode) {
    const timeLimitMs = byMode(mode, 3_000, 15_000)
    const tasks: Task[] = ['fdatasync', 'fdatasync-overwrite'].map((system) => ({
      workload: 'produce-acks-all',
      system,
      label: system,
      messages: byMode(mode, 2_000, 10_000),
      timeLimitMs,
      params: {},
    }))
    for (const system of ['tributary-file', 'tributary-sqlite']) {
      for (const producers of PRODUCER_COUNTS) {
        tasks.push({
          workload: 'produce-acks-all',
          system,
          label: `${system} ×${producers}`,
          messages: byMode(mode, producers === 1 ? 5_000 : 50_000, producers === 1 ? 20_000 : 200_000),
          timeLimitMs,
          params: { producers, messagesPerSend: MESSAGES_PER_SEND },
          baseline: `ideal-group-commit ×${producers}`,
        })
      }
    }
    const producers = PRODUCER_COUNTS[PRODUCER_COUNTS.length - 1]!
    tasks.push({
      workload: 'produce-acks-all',
      system: 'tributary-file',
      label: `tributary-file ×${producers} acks=1`,
      messages: byMode(mode, 50_000, 200_000),
      timeLimitMs,
      params: { producers, messagesPerSend: MESSAGES_PER_SEND, acks: 1 },
      baseline: `ideal-group-commit ×${producers}`,
    })
    return tasks
  },
  run: (task, dir) => (task.system.startsWith('fdatasync') ? fdatasyncLatency(task, dir) : produceWithProducers(task, dir)),
  derive: idealRows,
}

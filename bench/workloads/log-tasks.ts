import type { Mode, Params, Task, WorkloadName } from '../lib/types'

/**
 * Helpers shared by the produce, consume and backlog workloads, which run the same systems
 * through the LogSystem interface.
 */

/** BATCH_MESSAGES is how many messages one producer send carries (and one consumer fetch). */
export const BATCH_MESSAGES = 1_000

/**
 * BASELINE_OF names the baseline each system is compared with: the loop a user of that system
 * would otherwise write (files for the file storage and the peers, a table for SQLite, an array
 * for memory).
 */
const BASELINE_OF: Record<string, string> = {
  'tributary-memory': 'baseline-array',
  'tributary-file': 'baseline-fs',
  'tributary-sqlite': 'baseline-sqlite',
  'baseline-fs-fsync': 'baseline-fs',
  'baseline-sqlite': 'baseline-fs',
  'redis-streams': 'baseline-fs',
  'nats-jetstream': 'baseline-fs',
  // Over the Kafka protocol, what a Node user would otherwise use: KafkaJS against the same server.
  'tributary-kafka-client': 'kafkajs',
  kafkajs: 'baseline-fs',
  // librdkafka (the C client under kcat and confluent-kafka) against the same server, beside KafkaJS.
  librdkafka: 'kafkajs',
}

/** logTasks plans one task per system with the same count and time limit. */
export function logTasks(workload: WorkloadName, systems: readonly string[], messages: number, timeLimitMs: number): Task[] {
  return systems.map((system) => ({
    workload,
    system,
    label: system,
    messages,
    timeLimitMs,
    params: { batchMessages: BATCH_MESSAGES },
    ...(BASELINE_OF[system] && systems.includes(BASELINE_OF[system]) ? { baseline: BASELINE_OF[system] } : {}),
  }))
}

/** byMode picks the quick or the full value. */
export function byMode<T>(mode: Mode, quick: T, full: T): T {
  return mode === 'quick' ? quick : full
}

/** ProfileRow is one Tributary row of a workload: its label suffix, params and baseline label. */
export interface ProfileRow {
  /** suffix follows the system in the label (`tributary-file acks=1`); '' for the headline row. */
  suffix: string
  params: Params
  /** baseline is a label; `{system}` in it stands for the row's own system. */
  baseline: string | null
}

/**
 * tributaryTasks plans one task per Tributary system and row, labelled `<system> <suffix>`. The
 * rows' params (profile, acks, handler) pick how the system is driven; see systems/tributary.ts.
 */
export function tributaryTasks(
  workload: WorkloadName,
  systems: readonly string[],
  rows: readonly ProfileRow[],
  messages: number,
  timeLimitMs: number,
): Task[] {
  return systems.flatMap((system) =>
    rows.map((row) => {
      const baseline = row.baseline?.replaceAll('{system}', system)
      return {
        workload,
        system,
        label: row.suffix ? `${system} ${row.suffix}` : system,
        messages,
        timeLimitMs,
        params: { batchMessages: BATCH_MESSAGES, ...row.params },
        ...(baseline ? { baseline } : {}),
      }
    }),
  )
}

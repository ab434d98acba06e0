import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import { join } from 'node:path'
import { validateTopicName, type TopicPartition } from '@tributary/core'
import { checkTopicPartition } from '@tributary/core/internal'
import { attempt, isMissing, writeFileDurableSync } from './io'

/*
 * Partition directory names, kept within the file system's 255-byte limit for every legal topic
 * name (Kafka allows 249 characters, so `<topic>-<partition>` can reach 260):
 *
 *   <topic>-<partition>                      when that is at most PLAIN_DIR_MAX_BYTES (every usual name)
 *   <topic prefix>~<16 hex of sha256>-<p>    otherwise; `~` is not legal in topic names, so such a
 *                                            name never collides with a plain one, and the full
 *                                            topic name is recorded inside, in TOPIC_NAME_FILE
 *
 * A deleted partition's directory is first renamed to `<16 random hex>.delete` (short whatever the
 * topic name), then removed; `open` removes what an interrupted deletion left, in either form
 * (and the `<name>.<hex>-delete` of earlier versions).
 */

/** PLAIN_DIR_MAX_BYTES: a longer `<topic>-<partition>` is shortened (well under 255, leaving room for temp suffixes). */
export const PLAIN_DIR_MAX_BYTES = 200
/** TOPIC_NAME_FILE holds the full topic name inside a shortened partition directory. */
export const TOPIC_NAME_FILE = 'topic.name'
/** Characters of the topic kept in front of a shortened name, for people listing the directory. */
const SHORT_PREFIX_CHARS = 100
const PLAIN_DIR = /^(.+)-(\d+)$/
const SHORT_DIR = /^([^~]*)~([0-9a-f]{16})-(\d+)$/
/** A directory being deleted: `<16 hex>.delete`, or `<name>.<hex>-delete` from earlier versions. */
const DELETED_DIR = /(^[0-9a-f]{16}\.delete$)|(\.[0-9a-f]+-delete$)/

/** isDeletedDir tells whether a directory name is a partition directory whose deletion was interrupted. */
export function isDeletedDir(name: string): boolean {
  return DELETED_DIR.test(name)
}

/** deletedDirName is a fresh name to rename a doomed partition directory to. */
export function deletedDirName(randomHex: string): string {
  return `${randomHex}.delete`
}

/**
 * partitionDirName validates a topic-partition (topic name first, before any path is built) and
 * returns its directory name, shortened when the plain one would be long.
 * @throws TributaryError INVALID_TOPIC_EXCEPTION, INVALID_ARGUMENT.
 */
export function partitionDirName(tp: TopicPartition): string {
  checkTopicPartition(tp)
  const plain = `${tp.topic}-${tp.partition}`
  if (Buffer.byteLength(plain) <= PLAIN_DIR_MAX_BYTES) return plain
  const hash = createHash('sha256').update(tp.topic).digest('hex').slice(0, 16)
  return `${tp.topic.slice(0, SHORT_PREFIX_CHARS)}~${hash}-${tp.partition}`
}

/** isShortened tells whether a directory name is a shortened one (its topic is recorded inside). */
export function isShortened(name: string): boolean {
  return SHORT_DIR.test(name)
}

/**
 * recordTopicName writes the full topic name into a new shortened partition directory, durably,
 * before any data can go there (so a shortened directory that holds data always names its topic).
 */
export function recordTopicName(dir: string, topic: string): void {
  attempt(`create ${dir}`, () => fs.mkdirSync(dir, { recursive: true }))
  writeFileDurableSync(join(dir, TOPIC_NAME_FILE), dir, Buffer.from(topic, 'utf8'))
}

/**
 * parsePartitionDir reads a directory name back into its topic-partition: a plain name by its
 * last '-', a shortened one from its TOPIC_NAME_FILE (checked against the name's hash). Null for
 * a directory that is not a partition's, or a shortened one whose creation a crash interrupted
 * before its name was recorded (it cannot hold data).
 */
export function parsePartitionDir(root: string, name: string): TopicPartition | null {
  const short = SHORT_DIR.exec(name)
  if (short !== null) {
    let topic: string
    try {
      topic = fs.readFileSync(join(root, name, TOPIC_NAME_FILE), 'utf8')
    } catch (err) {
      if (isMissing(err)) return null
      throw err
    }
    const tp = { topic, partition: Number(short[3]) }
    return validTopic(topic) && partitionDirName(tp) === name ? tp : null
  }
  const match = PLAIN_DIR.exec(name)
  if (match === null) return null
  const topic = match[1] as string
  return validTopic(topic) ? { topic, partition: Number(match[2]) } : null
}

function validTopic(topic: string): boolean {
  try {
    validateTopicName(topic)
    return true
  } catch {
    return false
  }
}

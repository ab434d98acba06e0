import { roundRobin } from '../assignors'
import type { AssignerInput, PartitionAssigner } from '../assignors'
import { nonRetriable } from './errors'

/**
 * KafkaJS's assigner exports. `PartitionAssigners.roundRobin` runs Tributary's round-robin
 * assignor under KafkaJS's protocol name, 'RoundRobinAssigner', so a group shows the name KafkaJS
 * shows. `AssignerProtocol` encodes and decodes Kafka's consumer protocol (member metadata and
 * assignment bytes), which is what describeGroup(s) report per member.
 */

/** ROUND_ROBIN is the Tributary assignor behind `PartitionAssigners.roundRobin`. */
const ROUND_ROBIN: PartitionAssigner = Object.freeze({
  name: 'RoundRobinAssigner',
  assign: (input: AssignerInput) => roundRobin.assign(input),
})

/** KafkaJSAssignerFactory is KafkaJS's PartitionAssigner type: a factory called with the cluster. */
export type KafkaJSAssignerFactory = (config: { cluster: unknown; groupId: string; logger: unknown }) => unknown

/** roundRobin is `PartitionAssigners.roundRobin`: a KafkaJS assigner factory that names Tributary's assignor. */
const roundRobinFactory: KafkaJSAssignerFactory = () => ROUND_ROBIN

/** PartitionAssigners are KafkaJS's built-in assigners. */
export const PartitionAssigners = Object.freeze({ roundRobin: roundRobinFactory })

/**
 * toTributaryAssigners maps `consumer({ partitionAssigners })`: KafkaJS's roundRobin, or Tributary
 * PartitionAssigner objects (an extension). A custom KafkaJS assigner (async, working on protocol
 * bytes) cannot run inside Tributary's synchronous group leader: KafkaJSNonRetriableError.
 */
export function toTributaryAssigners(assigners: unknown): PartitionAssigner[] {
  if (assigners === undefined) return [ROUND_ROBIN]
  if (!Array.isArray(assigners) || assigners.length === 0) throw nonRetriable('partitionAssigners must be a non-empty array')
  return assigners.map((a, i) => {
    if (a === roundRobinFactory) return ROUND_ROBIN
    const candidate = a as Partial<PartitionAssigner> | null
    if (candidate !== null && typeof candidate === 'object' && typeof candidate.name === 'string' && typeof candidate.assign === 'function')
      return candidate as PartitionAssigner
    throw nonRetriable(
      `partitionAssigners[${i}] is not supported: use PartitionAssigners.roundRobin or a Tributary PartitionAssigner ` +
        `({ name, assign }); custom KafkaJS assigners are not supported`,
    )
  })
}

/** Writer builds Kafka protocol bytes (big-endian, int16-length strings, int32-length arrays and bytes). */
class Writer {
  private readonly parts: Buffer[] = []
  int16(n: number): this {
    const b = Buffer.alloc(2)
    b.writeInt16BE(n)
    this.parts.push(b)
    return this
  }
  int32(n: number): this {
    const b = Buffer.alloc(4)
    b.writeInt32BE(n)
    this.parts.push(b)
    return this
  }
  string(s: string): this {
    const bytes = Buffer.from(s)
    this.int16(bytes.length)
    this.parts.push(bytes)
    return this
  }
  bytes(b: Buffer | null): this {
    if (b === null) return this.int32(-1)
    this.int32(b.length)
    this.parts.push(b)
    return this
  }
  array<T>(items: readonly T[], each: (w: this, item: T) => void): this {
    this.int32(items.length)
    for (const item of items) each(this, item)
    return this
  }
  done(): Buffer {
    return Buffer.concat(this.parts)
  }
}

/** Reader reads what Writer writes; reading past the end is a RangeError from Buffer. */
class Reader {
  private pos = 0
  constructor(private readonly buf: Buffer) {}
  canRead(n: number): boolean {
    return this.pos + n <= this.buf.length
  }
  int16(): number {
    const n = this.buf.readInt16BE(this.pos)
    this.pos += 2
    return n
  }
  int32(): number {
    const n = this.buf.readInt32BE(this.pos)
    this.pos += 4
    return n
  }
  string(): string {
    const len = this.int16()
    const s = this.buf.toString('utf8', this.pos, this.pos + len)
    this.pos += len
    return s
  }
  bytes(): Buffer | null {
    const len = this.int32()
    if (len < 0) return null
    const b = this.buf.subarray(this.pos, this.pos + len)
    this.pos += len
    return b
  }
  array<T>(each: (r: Reader) => T): T[] {
    const n = this.int32()
    const out: T[] = []
    for (let i = 0; i < n; i++) out.push(each(this))
    return out
  }
}

/** AssignerProtocol is Kafka's consumer protocol encoding, as KafkaJS exports it. */
export const AssignerProtocol = Object.freeze({
  MemberMetadata: Object.freeze({
    encode({ version, topics, userData = Buffer.alloc(0) }: { version: number; topics: string[]; userData?: Buffer | null }): Buffer {
      return new Writer()
        .int16(version)
        .array(topics, (w, t) => w.string(t))
        .bytes(userData ?? Buffer.alloc(0))
        .done()
    },
    decode(buffer: Buffer): { version: number; topics: string[]; userData: Buffer } {
      const r = new Reader(buffer)
      return { version: r.int16(), topics: r.array((x) => x.string()), userData: r.bytes() ?? Buffer.alloc(0) }
    },
  }),
  MemberAssignment: Object.freeze({
    encode({
      version,
      assignment,
      userData = Buffer.alloc(0),
    }: {
      version: number
      assignment: Record<string, number[]>
      userData?: Buffer | null
    }): Buffer {
      return new Writer()
        .int16(version)
        .array(Object.entries(assignment), (w, [topic, partitions]) => w.string(topic).array(partitions, (x, p) => x.int32(p)))
        .bytes(userData ?? Buffer.alloc(0))
        .done()
    },
    decode(buffer: Buffer): { version: number; assignment: Record<string, number[]>; userData: Buffer } | null {
      const r = new Reader(buffer)
      if (!r.canRead(2)) return null
      const version = r.int16()
      const assignment: Record<string, number[]> = {}
      for (const { topic, partitions } of r.array((x) => ({ topic: x.string(), partitions: x.array((y) => y.int32()) })))
        assignment[topic] = partitions
      return { version, assignment, userData: r.bytes() ?? Buffer.alloc(0) }
    },
  }),
})

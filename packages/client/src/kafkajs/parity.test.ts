import { randomBytes } from 'node:crypto'
import { ErrorCodes, type ErrorCode } from '@tributary/core'
import * as real from 'kafkajs'
import type * as RealTypes from 'kafkajs'
import { Tributary } from '../tributary'
import * as facade from './index'
import { kafkaJSType } from './errors'

/*
 * Parity with the real KafkaJS 2.2.4 (a devDependency), checked without a Kafka server: the same
 * exports, constants, event names, client methods, error classes, error type names, partitioning
 * and consumer-protocol bytes. Running the programs in testing/ with `lib = real` against a
 * Kafka-protocol server is the end-to-end half of parity.
 */

// Required at run time for modules the package's types do not describe.
const realErrorCodes: Array<{ type: string; code: number; retriable: boolean }> = require('kafkajs/src/protocol/error').errorCodes
const realLegacyMurmur2: (key: unknown) => number = require('kafkajs/src/producer/partitioners/legacy/murmur2')

const quiet = { logLevel: real.logLevel.NOTHING }

describe('parity with kafkajs 2.2.4', () => {
  let tb: Tributary
  beforeAll(async () => {
    tb = await Tributary.open()
  })
  afterAll(() => tb.close())

  test('every top-level export of kafkajs exists in the facade, with equal constants', () => {
    for (const name of Object.keys(real).filter((n) => n !== 'default')) expect(Object.keys(facade)).toContain(name)
    const constants = [
      'logLevel',
      'CompressionTypes',
      'ConfigResourceTypes',
      'ConfigSource',
      'AclResourceTypes',
      'AclOperationTypes',
      'AclPermissionTypes',
      'ResourcePatternTypes',
    ] as const
    const ours = facade as unknown as Record<string, object>
    for (const name of constants)
      expect({ name, value: { ...ours[name] } }).toEqual({ name, value: { ...(real as Record<string, object>)[name] } })
    expect(Object.keys(facade.Partitioners).sort()).toEqual(Object.keys(real.Partitioners).sort())
    expect(Object.keys(facade.PartitionAssigners)).toEqual(Object.keys(real.PartitionAssigners))
    expect(Object.keys(facade.CompressionCodecs).sort()).toEqual(Object.keys(real.CompressionCodecs).sort())
  })

  test('producers, consumers and admins have the methods and event names of KafkaJS', async () => {
    const realKafka = new real.Kafka({ brokers: ['127.0.0.1:1'], ...quiet })
    const ours = new facade.Kafka({ tributary: tb, ...quiet })
    const pairs: Array<[string, object, object]> = [
      ['producer', realKafka.producer(), ours.producer()],
      ['consumer', realKafka.consumer({ groupId: 'g' }), ours.consumer({ groupId: 'g' })],
      ['admin', realKafka.admin(), ours.admin()],
      ['kafka', realKafka, ours],
    ]
    for (const [kind, theirs, mine] of pairs) {
      const theirMethods = methodsOf(theirs)
      const missing = theirMethods.filter((m) => typeof (mine as Record<string, unknown>)[m] !== 'function')
      expect({ kind, missing }).toEqual({ kind, missing: [] })
      if ('events' in theirs) expect({ kind, events: (mine as { events: unknown }).events }).toEqual({ kind, events: theirs.events })
    }
  })

  test('error classes have KafkaJS names, retriable flags and hierarchy', () => {
    const argsFor: Record<string, unknown[]> = {
      KafkaJSNumberOfRetriesExceeded: [new Error('x'), { retryCount: 1, retryTime: 2 }],
      KafkaJSOffsetOutOfRange: [{ message: 'x' }, {}],
      KafkaJSMemberIdRequired: [{ message: 'x' }, {}],
      KafkaJSDeleteTopicRecordsError: [{ partitions: [] }],
      KafkaJSAggregateError: ['x', []],
      KafkaJSProtocolError: [{ message: 'x', type: 'T', code: 1, retriable: true }],
    }
    const names = Object.keys(real).filter((n) => /^KafkaJS/.test(n))
    const ctor = (lib: object, name: string) =>
      (lib as Record<string, new (...a: unknown[]) => Error & { retriable?: boolean }>)[name] as new (
        ...a: unknown[]
      ) => Error & { retriable?: boolean }
    expect(names.length).toBeGreaterThan(25)
    for (const name of names) {
      const args = argsFor[name] ?? ['x']
      const theirs = new (ctor(real, name))(...args)
      const mine = new (ctor(facade, name))(...args)
      expect({ name, errorName: mine.name, retriable: mine.retriable, isKafkaJSError: mine instanceof facade.KafkaJSError }).toEqual({
        name,
        errorName: theirs.name,
        retriable: theirs.retriable,
        isKafkaJSError: theirs instanceof real.KafkaJSError,
      })
    }
    expect(new facade.KafkaJSLockTimeout('x')).toBeInstanceOf(facade.KafkaJSTimeout)
    expect(new facade.KafkaJSConnectionClosedError('x')).toBeInstanceOf(facade.KafkaJSConnectionError)
  })

  test("every Kafka error code Tributary raises has KafkaJS's type name and retriable flag", () => {
    for (const [code, { code: number, retriable }] of Object.entries(ErrorCodes)) {
      const theirs = realErrorCodes.find((e) => e.code === number)
      if (number < -1 || theirs === undefined) continue
      expect({ code, type: kafkaJSType(code as ErrorCode), retriable }).toEqual({ code, type: theirs.type, retriable: theirs.retriable })
    }
  })

  test('the partitioners place every key as KafkaJS does', () => {
    const metadata = Array.from({ length: 7 }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    }))
    const keys: unknown[] = ['', '0', '100:48069', 'customer-42', Buffer.from([0xff, 0x00, 0x80]), 12345]
    for (let i = 0; i < 500; i++) keys.push(randomBytes(i % 37))
    for (let i = 0; i < 500; i++) keys.push(`key-${randomBytes(8).toString('hex')}`)
    for (const [ours, theirs] of [
      [facade.Partitioners.DefaultPartitioner(), real.Partitioners.DefaultPartitioner()],
      [facade.Partitioners.LegacyPartitioner(), real.Partitioners.LegacyPartitioner()],
    ] as const) {
      for (const key of keys) {
        const message = { key: key as string, value: 'v' }
        expect(ours({ topic: 't', partitionMetadata: metadata, message })).toBe(
          theirs({ topic: 't', partitionMetadata: metadata, message }),
        )
      }
      expect(ours({ topic: 't', partitionMetadata: metadata, message: { key: 'k', value: 'v', partition: 5 } })).toBe(5)
    }
    for (const key of keys) expect(facade.legacyMurmur2(key)).toBe(realLegacyMurmur2(key))
  })

  test('AssignerProtocol bytes are identical both ways', () => {
    const metadata = { version: 1, topics: ['orders', 'payments'], userData: Buffer.from('ud') }
    const assignment = { version: 0, assignment: { orders: [0, 2, 4], payments: [1] }, userData: Buffer.alloc(0) }
    const ourMeta = facade.AssignerProtocol.MemberMetadata.encode(metadata)
    const ourAssignment = facade.AssignerProtocol.MemberAssignment.encode(assignment)
    expect(ourMeta.equals(real.AssignerProtocol.MemberMetadata.encode(metadata))).toBe(true)
    expect(ourAssignment.equals(real.AssignerProtocol.MemberAssignment.encode(assignment))).toBe(true)
    expect(real.AssignerProtocol.MemberAssignment.decode(ourAssignment)).toEqual(assignment)
    expect(facade.AssignerProtocol.MemberMetadata.decode(real.AssignerProtocol.MemberMetadata.encode(metadata))).toEqual(metadata)
    expect(facade.AssignerProtocol.MemberAssignment.decode(Buffer.alloc(0))).toBe(
      real.AssignerProtocol.MemberAssignment.decode(Buffer.alloc(0)),
    )
  })

  test('a logCreator receives the same entries from both for the same logger calls', () => {
    const collect = (lib: typeof facade | typeof real, tributary?: Tributary) => {
      const entries: unknown[] = []
      const levels: number[] = []
      const logCreator = (level: number) => {
        levels.push(level)
        return ({ namespace, level: l, label, log }: { namespace: string; level: number; label: string; log: Record<string, unknown> }) => {
          const { timestamp, ...rest } = log
          entries.push({ namespace, level: l, label, log: rest, timestamp: typeof timestamp })
        }
      }
      const config = { logLevel: lib.logLevel.INFO, logCreator, ...(tributary ? { tributary } : { brokers: ['127.0.0.1:1'] }) }
      const kafka = new lib.Kafka(config as never)
      const logger = kafka.logger()
      logger.info('info line', { a: 1 })
      logger.debug('debug line')
      logger.namespace('Ns').error('error line', { b: 'x' })
      logger.namespace('Loud', lib.logLevel.DEBUG).debug('debug in a louder namespace')
      logger.setLogLevel(lib.logLevel.WARN)
      logger.info('after lowering')
      logger.warn('warn line')
      return { entries, levels }
    }
    expect(collect(facade, tb)).toEqual(collect(real))
  })

  test("the facade's clients are assignable to KafkaJS's declared types (checked by tsc)", () => {
    const ours = new facade.Kafka({ tributary: tb, ...quiet })
    const kafka: RealTypes.Kafka = ours
    const producer: RealTypes.Producer = ours.producer()
    const consumer: RealTypes.Consumer = ours.consumer({ groupId: 'typed' })
    const admin: RealTypes.Admin = ours.admin()
    expect([kafka, producer, consumer, admin].map((x) => typeof x)).toEqual(['object', 'object', 'object', 'object'])
  })
})

/** methodsOf lists an object's own and prototype function names (KafkaJS clients are plain objects of closures). */
function methodsOf(o: object): string[] {
  const names = new Set<string>()
  for (let p: object | null = o; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const n of Object.getOwnPropertyNames(p))
      if (n !== 'constructor' && typeof (o as Record<string, unknown>)[n] === 'function') names.add(n)
  }
  return [...names].sort()
}

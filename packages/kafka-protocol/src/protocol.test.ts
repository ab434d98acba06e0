import { isKafkaProtocolError } from './codec/errors'
import { API_KEYS, ApiVersions, getApi } from './messages'
import {
  decodeRequest,
  decodeRequestHeader,
  decodeResponse,
  encodeRequest,
  encodeRequestChunks,
  encodeResponse,
  encodeResponseChunks,
  headerVersions,
  readResponseCorrelationId,
} from './protocol'

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex')
const payload = (frame: Buffer) => frame.subarray(4)

function failure(fn: () => unknown): { code: string; path: string; details: Record<string, unknown> } {
  try {
    fn()
  } catch (err) {
    if (!isKafkaProtocolError(err)) throw err
    return { code: err.code, path: err.path, details: { ...err.details } }
  }
  throw new Error('expected a KafkaProtocolError')
}

describe('headers', () => {
  test('a flexible request uses header v2, whose client_id keeps its int16 length', () => {
    const frame = encodeRequest(
      API_KEYS.ApiVersions,
      3,
      { correlationId: 1, clientId: 'ab' },
      { clientSoftwareName: 'x', clientSoftwareVersion: '1' },
    )
    // size | key 18 | v3 | corr 1 | client_id int16 2 "ab" | header tags 0 | name "x" | version "1" | body tags 0
    expect(frame).toEqual(hex('00000012 0012 0003 00000001 0002 6162 00 0278 0231 00'))
  })

  test('a fixed-version request uses header v1 and a null client id is -1', () => {
    const frame = encodeRequest(API_KEYS.ApiVersions, 2, { correlationId: 7 }, {})
    expect(frame).toEqual(hex('0000000a 0012 0002 00000007 ffff'))
    expect(decodeRequest(payload(frame)).header.clientId).toBeNull()
  })

  test("ApiVersions' response header is v0 even in flexible versions; other flexible responses use v1", () => {
    const av = encodeResponse(API_KEYS.ApiVersions, 3, 5, { errorCode: 0, apiKeys: [] })
    // corr 5 | error 0 | apiKeys compact [] | throttle 0 | body tags 0: no header tag byte.
    expect(av).toEqual(hex('0000000c 00000005 0000 01 00000000 00'))
    const hb = encodeResponse(API_KEYS.Heartbeat, 4, 5, {})
    // corr 5 | header tags 0 | throttle 0 | error 0 | body tags 0
    expect(hb).toEqual(hex('0000000c 00000005 00 00000000 0000 00'))
    expect(decodeResponse(API_KEYS.ApiVersions, 3, payload(av)).correlationId).toBe(5)
    expect(readResponseCorrelationId(payload(hb))).toBe(5)
  })

  test('headerVersions follows flexible versions, with ApiVersions answering in header v0', () => {
    expect(headerVersions(API_KEYS.Produce, 8)).toEqual({ request: 1, response: 0 })
    expect(headerVersions(API_KEYS.Produce, 9)).toEqual({ request: 2, response: 1 })
    expect(headerVersions(API_KEYS.ApiVersions, 3)).toEqual({ request: 2, response: 0 })
    expect(headerVersions(API_KEYS.SaslHandshake, 1)).toEqual({ request: 1, response: 0 })
    expect(headerVersions(API_KEYS.DescribeCluster, 0)).toEqual({ request: 2, response: 1 })
  })

  test('an ApiVersions v0 answer (UNSUPPORTED_VERSION) to a newer request is read as v0, as Kafka clients do', () => {
    const answer = encodeResponse(API_KEYS.ApiVersions, 0, 8, { errorCode: 35, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 2 }] })
    const { correlationId, body } = decodeResponse(API_KEYS.ApiVersions, 4, payload(answer))
    expect(correlationId).toBe(8)
    expect(body).toMatchObject({ errorCode: 35, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 2 }] })
    expect(failure(() => decodeResponse(API_KEYS.Heartbeat, 4, hex('00000001 00'))).code).toBe('CORRUPT_MESSAGE')
  })

  test('decodeRequestHeader reads the header of any API, even one the codec does not know', () => {
    const unknown = hex('0400 0001 0000002a 0003 616263 99')
    expect(decodeRequestHeader(unknown)).toMatchObject({
      header: { apiKey: 1024, apiVersion: 1, correlationId: 42, clientId: 'abc' },
      bodyOffset: 13,
      api: undefined,
    })
    expect(failure(() => decodeRequestHeader(hex('0012 0003 0000'))).code).toBe('INVALID_REQUEST')
  })
})

describe('versions and the registry', () => {
  test('every API is registered by key with its version facts', () => {
    expect(getApi(18)).toBe(ApiVersions)
    expect(ApiVersions).toMatchObject({ key: 18, name: 'ApiVersions', minVersion: 0, maxVersion: 4, firstFlexibleVersion: 3 })
    expect(getApi(API_KEYS.SaslHandshake)?.firstFlexibleVersion).toBeNull()
    expect(getApi(API_KEYS.DescribeCluster)?.firstFlexibleVersion).toBe(0)
    expect(getApi(API_KEYS.ListOffsets)).toMatchObject({ minVersion: 0, maxVersion: 10, maxStableVersion: 10 })
    expect(getApi(API_KEYS.Fetch)).toMatchObject({ minVersion: 0, maxVersion: 17, firstFlexibleVersion: 12 })
    expect(getApi(1000)).toBeUndefined()
  })

  test('the codec covers every version KafkaJS 2.2.4, librdkafka 2.0.2 and kafka-python 2.0.2 send', () => {
    // Highest version each client sends (kafka-protocol-facts §2: KafkaJS, librdkafka, kafka-python incl. admin).
    const sent: Record<string, number[]> = {
      ApiVersions: [2, 3, 0],
      Metadata: [6, 4, 5],
      Produce: [7, 7, 7],
      Fetch: [11, 11, 4],
      ListOffsets: [3, 2, 1],
      FindCoordinator: [2, 2, 0],
      JoinGroup: [5, 5, 2],
      SyncGroup: [3, 3, 1],
      Heartbeat: [3, 3, 1],
      LeaveGroup: [3, 1, 1],
      OffsetCommit: [5, 7, 2],
      OffsetFetch: [4, 7, 3],
      DescribeGroups: [2, 4, 3],
      ListGroups: [2, 4, 2],
      DeleteGroups: [1, 1, 1],
      CreateTopics: [3, 4, 3],
      DeleteTopics: [1, 1, 3],
      CreatePartitions: [1, 0, 1],
      DeleteRecords: [1, 1, 0],
      InitProducerId: [1, 4, 0],
      DescribeConfigs: [2, 1, 2],
      AlterConfigs: [1, 0, 1],
      IncrementalAlterConfigs: [0, 1, 0],
      OffsetForLeaderEpoch: [0, 0, 0],
      DescribeCluster: [0, 0, 0],
      SaslHandshake: [1, 1, 0],
      SaslAuthenticate: [1, 0, 0],
    }
    for (const [name, versions] of Object.entries(sent)) {
      const api = getApi(API_KEYS[name as keyof typeof API_KEYS])!
      expect({ name, min: api.minVersion, max: api.maxVersion >= Math.max(...versions) }).toEqual({ name, min: 0, max: true })
    }
  })

  test('an unknown API key or version is UNSUPPORTED_VERSION with the ids a server needs to answer', () => {
    const tooNew = hex('0012 0009 00000063 0001 61 00')
    expect(failure(() => decodeRequest(tooNew))).toMatchObject({
      code: 'UNSUPPORTED_VERSION',
      details: { apiKey: 18, apiVersion: 9, correlationId: 99, clientId: 'a' },
    })
    expect(failure(() => decodeRequest(hex('7000 0000 00000001 ffff'))).code).toBe('UNSUPPORTED_VERSION')
    expect(failure(() => encodeResponse(API_KEYS.Produce, 12, 1, {})).code).toBe('UNSUPPORTED_VERSION')
  })
})

describe('null, empty and defaults', () => {
  test('Metadata v1+ tells null topics (all) from empty topics (none), in fixed and compact form', () => {
    const topics = (v: number, t: null | []) =>
      payload(encodeRequest(API_KEYS.Metadata, v, { correlationId: 0, clientId: '' }, { topics: t }))
    expect(topics(1, null).subarray(10)).toEqual(hex('ffffffff'))
    expect(topics(1, []).subarray(10)).toEqual(hex('00000000'))
    expect(topics(9, null).subarray(11, 12)).toEqual(hex('00'))
    expect(topics(9, []).subarray(11, 12)).toEqual(hex('01'))
    expect(decodeRequest(topics(9, null)).body).toMatchObject({ topics: null })
    expect(decodeRequest(topics(9, [])).body).toMatchObject({ topics: [] })
  })

  test('null where the version does not allow it is refused on encode and on decode', () => {
    expect(failure(() => encodeRequest(API_KEYS.Metadata, 0, { correlationId: 0 }, { topics: null }))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      path: 'topics',
    })
    // Metadata v0 with a -1 topics count.
    expect(failure(() => decodeRequest(hex('0003 0000 00000000 ffff ffffffff')))).toMatchObject({ code: 'INVALID_REQUEST', path: 'topics' })
  })

  test('fields the version lacks are ignored on encode and decode as their defaults', () => {
    const frame = encodeRequest(API_KEYS.Produce, 2, { correlationId: 0 }, { transactionalId: 'tx', acks: 1, timeoutMs: 5, topicData: [] })
    const { body } = decodeRequest(payload(frame)) as { body: { transactionalId: unknown; acks: number } }
    expect(body.transactionalId).toBeNull()
    expect(body.acks).toBe(1)
    const fetch = decodeResponse(
      API_KEYS.Fetch,
      0,
      payload(encodeResponse(API_KEYS.Fetch, 0, 1, { responses: [{ topic: 't', partitions: [{}] }] })),
    )
    expect(fetch.body.responses[0]!.partitions[0]).toMatchObject({
      lastStableOffset: -1,
      logStartOffset: -1,
      preferredReadReplica: -1,
      records: null,
    })
  })

  test('a tagged field is written only when it differs from its default', () => {
    const partition = { partitionIndex: 0, highWatermark: 0, records: null }
    const plain = encodeResponse(API_KEYS.Fetch, 12, 1, { responses: [{ topic: 't', partitions: [partition] }] })
    const defaulted = encodeResponse(API_KEYS.Fetch, 12, 1, {
      responses: [{ topic: 't', partitions: [{ ...partition, currentLeader: { leaderId: -1, leaderEpoch: -1 } }] }],
    })
    const led = encodeResponse(API_KEYS.Fetch, 12, 1, {
      responses: [{ topic: 't', partitions: [{ ...partition, currentLeader: { leaderId: 2, leaderEpoch: 9 } }] }],
    })
    expect(defaulted).toEqual(plain)
    // One tag (0x01), tag 1, size 9: leaderId, leaderEpoch and the struct's own empty tag section.
    expect(led.length - plain.length).toBe(1 + 1 + 8 + 1)
    expect(led.includes(hex('01 01 09 00000002 00000009 00'))).toBe(true)
    const decoded = decodeResponse(API_KEYS.Fetch, 12, payload(led)).body.responses[0]!.partitions[0]!
    expect(decoded.currentLeader).toEqual({ leaderId: 2, leaderEpoch: 9 })
    expect(decoded.divergingEpoch).toEqual({ epoch: -1, endOffset: -1 })
  })

  test('unknown tagged fields are skipped; a known one of the wrong size is an error', () => {
    const base = payload(
      encodeRequest(API_KEYS.ApiVersions, 3, { correlationId: 3, clientId: 'c' }, { clientSoftwareName: 'n', clientSoftwareVersion: 'v' }),
    )
    // Replace the body's empty tag section (last byte) by two unknown tags.
    const extra = Buffer.concat([base.subarray(0, base.length - 1), hex('02 07 03 aabbcc 7f 00')])
    expect(decodeRequest(extra).body).toEqual({ clientSoftwareName: 'n', clientSoftwareVersion: 'v' })
    const fetchFrame = payload(
      encodeResponse(API_KEYS.Fetch, 12, 1, {
        responses: [{ topic: 't', partitions: [{ currentLeader: { leaderId: 2, leaderEpoch: 9 } }] }],
      }),
    )
    const at = fetchFrame.indexOf(hex('01 01 09'))
    const wrongSize = Buffer.from(fetchFrame)
    wrongSize[at + 2] = 0x0a
    expect(failure(() => decodeResponse(API_KEYS.Fetch, 12, wrongSize)).code).toBe('CORRUPT_MESSAGE')
  })
})

describe('encoding errors name the field', () => {
  test.each([
    ['an int16 out of range', { acks: 40000 }, 'acks'],
    ['a float where an int32 goes', { timeoutMs: 1.5 }, 'timeoutMs'],
    ['a missing partition index', { topicData: [{ name: 't', partitionData: [{ index: 'x' }] }] }, 'topicData[].partitionData[].index'],
    ['a string that is not one', { topicData: [{ name: 42 }] }, 'topicData[].name'],
    ['an array that is not one', { topicData: 'no' }, 'topicData'],
    ['a struct that is not one', { topicData: [null] }, 'topicData[].'],
  ])('%s', (_what, body, path) => {
    expect(failure(() => encodeRequest(API_KEYS.Produce, 7, { correlationId: 0 }, body as never))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      path,
    })
  })

  test('an int64 beyond 2^53 and an over-long STRING are refused', () => {
    expect(
      failure(() => encodeResponse(API_KEYS.ListOffsets, 1, 0, { topics: [{ name: 't', partitions: [{ offset: 2 ** 60 }] }] })).path,
    ).toBe('topics[].partitions[].offset')
    expect(failure(() => encodeRequest(API_KEYS.Produce, 7, { correlationId: 0 }, { topicData: [{ name: 'x'.repeat(40000) }] })).path).toBe(
      'topicData[].name',
    )
  })
})

describe('records stay raw', () => {
  test('decoded records are views of the frame (zero copy)', () => {
    const records = Buffer.from('a record batch, as the client wrote it')
    const frame = payload(
      encodeRequest(
        API_KEYS.Produce,
        7,
        { correlationId: 0 },
        { acks: 1, topicData: [{ name: 't', partitionData: [{ index: 0, records }] }] },
      ),
    )
    const req = decodeRequest(frame)
    if (req.apiKey !== API_KEYS.Produce) throw new Error('not a produce request')
    const out = req.body.topicData[0]!.partitionData[0]!.records!
    expect(out).toEqual(records)
    expect(out.buffer).toBe(frame.buffer)
  })

  test('encodeResponseChunks passes large records through uncopied and matches encodeResponse byte for byte', () => {
    const big = Buffer.alloc(100_000, 7)
    const small = Buffer.alloc(100, 3)
    const body = {
      responses: [
        {
          topic: 't',
          partitions: [
            { partitionIndex: 0, highWatermark: 10, records: big },
            { partitionIndex: 1, records: small },
          ],
        },
      ],
    }
    const chunks = encodeResponseChunks(API_KEYS.Fetch, 11, 9, body, { chunkThresholdBytes: 1024 })
    expect(chunks).toContain(big)
    expect(Buffer.concat(chunks)).toEqual(encodeResponse(API_KEYS.Fetch, 11, 9, body))
    expect(chunks.reduce((n, c) => n + (c === big ? 0 : c.length), 0)).toBeLessThan(300)
  })

  test('encodeRequestChunks does the same for a large Produce request', () => {
    const big = Buffer.alloc(50_000, 1)
    const body = {
      acks: -1,
      timeoutMs: 1000,
      topicData: [
        {
          name: 't',
          partitionData: [
            { index: 0, records: big },
            { index: 1, records: big },
          ],
        },
      ],
    }
    const chunks = encodeRequestChunks(API_KEYS.Produce, 9, { correlationId: 3, clientId: 'c' }, body)
    expect(chunks.filter((c) => c === big)).toHaveLength(2)
    expect(Buffer.concat(chunks)).toEqual(encodeRequest(API_KEYS.Produce, 9, { correlationId: 3, clientId: 'c' }, body))
  })
})

import { API_KEYS, type ApiKey, getApi } from '../messages'
import { decodeRequest, encodeRequest, encodeResponse } from '../protocol'

/*
 * An independent implementation checks the codec at every version KafkaJS 2.2.4 has, not only the
 * ones its client picks against a modern broker: KafkaJS's own request encoders (v0 to its max of
 * each API) produce frames that our decoder reads and our encoder reproduces byte for byte, and
 * KafkaJS's own response decoders read the responses our encoder writes, finding the values we put
 * in. Uses KafkaJS's internal protocol modules (pinned at 2.2.4, a devDependency).
 */

// biome-ignore lint/suspicious/noExplicitAny: KafkaJS's protocol modules are untyped JavaScript.
type Any = any
// KafkaJS's internals are CommonJS modules without types.
const kafkaRequest: (r: Any) => Promise<{ buffer: Buffer }> = require('kafkajs/src/protocol/request')
const KafkaEncoder: new () => Any = require('kafkajs/src/protocol/encoder')

const protocolOf = (
  dir: string,
): { versions: string[]; protocol: (v: { version: number }) => (args: Any) => { request: Any; response: Any } } =>
  require(`kafkajs/src/protocol/requests/${dir}`)

const batchArgs = {
  topic: 'interop-topic',
  partitions: [{ partition: 3, messages: [{ key: 'k', value: 'v', timestamp: 1_700_000_000_000 }] }],
}

/** One argument set per API, accepted by every version's request builder (extra fields are ignored). */
const requests: Record<string, { dir: string; args: Any }> = {
  Produce: {
    dir: 'produce',
    args: { acks: -1, timeout: 30000, transactionalId: null, producerId: 5, producerEpoch: 1, topicData: [batchArgs] },
  },
  Fetch: {
    dir: 'fetch',
    args: {
      replicaId: -1,
      maxWaitTime: 500,
      minBytes: 1,
      maxBytes: 1048576,
      isolationLevel: 1,
      topics: [{ topic: 'interop-topic', partitions: [{ partition: 3, fetchOffset: '12345', maxBytes: 65536 }] }],
      rackId: 'rack-a',
    },
  },
  ListOffsets: {
    dir: 'listOffsets',
    args: { replicaId: -1, isolationLevel: 1, topics: [{ topic: 'interop-topic', partitions: [{ partition: 3, timestamp: -2 }] }] },
  },
  Metadata: { dir: 'metadata', args: { topics: ['interop-topic', 'other'], allowAutoTopicCreation: false } },
  OffsetCommit: {
    dir: 'offsetCommit',
    args: {
      groupId: 'interop-group',
      groupGenerationId: 7,
      memberId: 'member-x',
      retentionTime: -1,
      topics: [{ topic: 'interop-topic', partitions: [{ partition: 3, offset: '12345', timestamp: 1_700_000_000_000, metadata: 'meta' }] }],
    },
  },
  OffsetFetch: {
    dir: 'offsetFetch',
    args: { groupId: 'interop-group', topics: [{ topic: 'interop-topic', partitions: [{ partition: 3 }] }] },
  },
  FindCoordinator: { dir: 'findCoordinator', args: { groupId: 'interop-group', coordinatorKey: 'interop-group', coordinatorType: 0 } },
  JoinGroup: {
    dir: 'joinGroup',
    args: {
      groupId: 'interop-group',
      sessionTimeout: 30000,
      rebalanceTimeout: 60000,
      memberId: '',
      groupInstanceId: 'static-1',
      protocolType: 'consumer',
      groupProtocols: [{ name: 'RoundRobinAssigner', metadata: Buffer.from([0, 1, 0, 0, 0, 0]) }],
    },
  },
  Heartbeat: {
    dir: 'heartbeat',
    args: { groupId: 'interop-group', groupGenerationId: 7, memberId: 'member-x', groupInstanceId: 'static-1' },
  },
  LeaveGroup: {
    dir: 'leaveGroup',
    args: { groupId: 'interop-group', memberId: 'member-x', members: [{ memberId: 'member-x', groupInstanceId: 'static-1' }] },
  },
  SyncGroup: {
    dir: 'syncGroup',
    args: {
      groupId: 'interop-group',
      generationId: 7,
      memberId: 'member-x',
      groupInstanceId: null,
      groupAssignment: [{ memberId: 'member-x', memberAssignment: Buffer.from('assign') }],
    },
  },
  DescribeGroups: { dir: 'describeGroups', args: { groupIds: ['interop-group', 'g2'] } },
  ListGroups: { dir: 'listGroups', args: {} },
  SaslHandshake: { dir: 'saslHandshake', args: { mechanism: 'SCRAM-SHA-256' } },
  ApiVersions: { dir: 'apiVersions', args: {} },
  CreateTopics: {
    dir: 'createTopics',
    args: {
      topics: [
        { topic: 'interop-topic', numPartitions: 6, replicationFactor: 3, configEntries: [{ name: 'retention.ms', value: '1000' }] },
        { topic: 'assigned', replicaAssignment: [{ partition: 0, replicas: [1, 2] }] },
      ],
      timeout: 5000,
      validateOnly: true,
    },
  },
  DeleteTopics: { dir: 'deleteTopics', args: { topics: ['interop-topic', 'other'], timeout: 5000 } },
  DeleteRecords: {
    dir: 'deleteRecords',
    args: { topics: [{ topic: 'interop-topic', partitions: [{ partition: 3, offset: '12345' }] }], timeout: 5000 },
  },
  InitProducerId: { dir: 'initProducerId', args: { transactionalId: 'tx-1', transactionTimeout: 60000 } },
  DescribeConfigs: {
    dir: 'describeConfigs',
    args: { resources: [{ type: 2, name: 'interop-topic', configNames: ['retention.ms'] }], includeSynonyms: true },
  },
  AlterConfigs: {
    dir: 'alterConfigs',
    args: {
      resources: [{ type: 2, name: 'interop-topic', configEntries: [{ name: 'retention.ms', value: '1000' }] }],
      validateOnly: false,
    },
  },
  SaslAuthenticate: { dir: 'saslAuthenticate', args: { authBytes: new KafkaEncoder().writeBytes(Buffer.from('token')).buffer } },
  CreatePartitions: {
    dir: 'createPartitions',
    args: { topicPartitions: [{ topic: 'interop-topic', count: 8, assignments: [[1], [2]] }], timeout: 5000, validateOnly: false },
  },
  DeleteGroups: { dir: 'deleteGroups', args: ['interop-group', 'g2'] },
}

/** One response body per API (the codec's form) and markers KafkaJS's decoded output must contain. */
const responses: Record<string, { body: Any; markers: (string | number)[] }> = {
  Produce: {
    body: {
      responses: [
        {
          name: 'interop-topic',
          partitionResponses: [{ index: 3, baseOffset: 12345, logAppendTimeMs: 1_700_000_000_123, logStartOffset: 4321 }],
        },
      ],
      throttleTimeMs: 17,
    },
    markers: ['interop-topic', 12345],
  },
  Fetch: {
    body: {
      throttleTimeMs: 17,
      responses: [
        {
          topic: 'interop-topic',
          partitions: [{ partitionIndex: 3, highWatermark: 12345, lastStableOffset: 12340, logStartOffset: 4321, records: null }],
        },
      ],
    },
    markers: ['interop-topic', 12345],
  },
  ListOffsets: {
    body: {
      topics: [
        {
          name: 'interop-topic',
          partitions: [{ partitionIndex: 3, oldStyleOffsets: [12345], timestamp: 1_700_000_000_123, offset: 12345 }],
        },
      ],
    },
    markers: ['interop-topic', 12345],
  },
  Metadata: {
    body: {
      brokers: [{ nodeId: 42, host: 'broker-host', port: 9092, rack: 'rack-a' }],
      clusterId: 'cluster-z',
      controllerId: 42,
      topics: [
        {
          name: 'interop-topic',
          partitions: [{ partitionIndex: 3, leaderId: 42, replicaNodes: [42, 43], isrNodes: [42], offlineReplicas: [43] }],
        },
      ],
    },
    markers: ['interop-topic', 'broker-host', 9092],
  },
  OffsetCommit: {
    body: { topics: [{ name: 'interop-topic', partitions: [{ partitionIndex: 3, errorCode: 0 }] }] },
    markers: ['interop-topic'],
  },
  OffsetFetch: {
    body: { topics: [{ name: 'interop-topic', partitions: [{ partitionIndex: 3, committedOffset: 12345, metadata: 'meta' }] }] },
    markers: ['interop-topic', 12345, 'meta'],
  },
  FindCoordinator: { body: { nodeId: 42, host: 'broker-host', port: 9092, errorMessage: null }, markers: ['broker-host', 9092] },
  JoinGroup: {
    body: {
      generationId: 7,
      protocolName: 'RoundRobinAssigner',
      leader: 'member-x',
      memberId: 'member-x',
      members: [{ memberId: 'member-x', groupInstanceId: 'static-1', metadata: Buffer.from('meta') }],
    },
    markers: ['RoundRobinAssigner', 'member-x'],
  },
  Heartbeat: { body: { throttleTimeMs: 17 }, markers: [] },
  LeaveGroup: { body: { members: [{ memberId: 'member-x', groupInstanceId: 'static-1' }] }, markers: [] },
  SyncGroup: { body: { assignment: Buffer.from('assign') }, markers: [] },
  DescribeGroups: {
    body: {
      groups: [
        {
          groupId: 'interop-group',
          groupState: 'Stable',
          protocolType: 'consumer',
          protocolData: 'RoundRobinAssigner',
          members: [
            {
              memberId: 'member-x',
              clientId: 'client-c',
              clientHost: '/10.0.0.1',
              memberMetadata: Buffer.from('m'),
              memberAssignment: Buffer.from('a'),
            },
          ],
        },
      ],
    },
    markers: ['interop-group', 'member-x', 'client-c', '/10.0.0.1'],
  },
  ListGroups: { body: { groups: [{ groupId: 'interop-group', protocolType: 'consumer' }] }, markers: ['interop-group'] },
  SaslHandshake: { body: { mechanisms: ['PLAIN', 'SCRAM-SHA-256'] }, markers: ['SCRAM-SHA-256'] },
  ApiVersions: {
    body: {
      apiKeys: [
        { apiKey: 0, minVersion: 0, maxVersion: 11 },
        { apiKey: 18, minVersion: 0, maxVersion: 4 },
      ],
      throttleTimeMs: 0,
    },
    markers: [11],
  },
  CreateTopics: { body: { topics: [{ name: 'interop-topic', errorCode: 0, errorMessage: null }] }, markers: ['interop-topic'] },
  DeleteTopics: { body: { responses: [{ name: 'interop-topic', errorCode: 0 }] }, markers: ['interop-topic'] },
  DeleteRecords: {
    body: { topics: [{ name: 'interop-topic', partitions: [{ partitionIndex: 3, lowWatermark: 12345 }] }] },
    markers: ['interop-topic', 12345],
  },
  InitProducerId: { body: { producerId: 12345, producerEpoch: 2 }, markers: [12345] },
  DescribeConfigs: {
    body: {
      results: [
        {
          resourceType: 2,
          resourceName: 'interop-topic',
          errorMessage: null,
          configs: [
            {
              name: 'retention.ms',
              value: '86400000',
              readOnly: false,
              isDefault: false,
              configSource: 1,
              isSensitive: false,
              synonyms: [],
            },
          ],
        },
      ],
    },
    markers: ['interop-topic', 'retention.ms', '86400000'],
  },
  AlterConfigs: {
    body: { responses: [{ resourceType: 2, resourceName: 'interop-topic', errorMessage: null }] },
    markers: ['interop-topic'],
  },
  SaslAuthenticate: { body: { authBytes: Buffer.from('server-final'), errorMessage: null, sessionLifetimeMs: 0 }, markers: [] },
  CreatePartitions: { body: { results: [{ name: 'interop-topic', errorCode: 0, errorMessage: null }] }, markers: ['interop-topic'] },
  DeleteGroups: { body: { results: [{ groupId: 'interop-group', errorCode: 0 }] }, markers: ['interop-group'] },
}

const cases = Object.keys(requests).flatMap((name) => {
  const { dir } = requests[name]!
  return protocolOf(dir).versions.map((v) => [name, Number(v)] as const)
})

describe('KafkaJS 2.2.4 encoders and decoders at every version they have', () => {
  test.each(cases)('%s v%i: KafkaJS request → decode → re-encode byte for byte; our response → KafkaJS decode', async (name, version) => {
    const { dir, args } = requests[name]!
    const apiKey = API_KEYS[name as keyof typeof API_KEYS] as ApiKey
    const { request, response } = protocolOf(dir).protocol({ version })(args)
    const frame: Buffer = (await kafkaRequest({ correlationId: 77, clientId: 'kafkajs-interop', request })).buffer
    const req = decodeRequest(frame.subarray(4))
    expect([req.apiKey, req.apiVersion, req.header.correlationId, req.header.clientId]).toEqual([apiKey, version, 77, 'kafkajs-interop'])
    expect(encodeRequest(apiKey, version, req.header, req.body as never)).toEqual(frame)

    const { body, markers } = responses[name]!
    const out = encodeResponse(apiKey, version, 77, body)
    expect(out.readInt32BE(4)).toBe(77)
    const decoded = await response.decode(out.subarray(8))
    const text = JSON.stringify(decoded, (_k, v) => (typeof v === 'bigint' ? String(v) : v))
    for (const marker of markers) expect(text).toContain(String(marker))
    expect(getApi(apiKey)!.maxVersion).toBeGreaterThanOrEqual(version)
  })
})

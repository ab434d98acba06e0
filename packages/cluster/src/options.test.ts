import { MemoryStorage, TributaryError } from '@tributary/core'
import { CLUSTER_NODE_DEFAULTS, type ClusterNodeOptions, resolveClusterNodeOptions } from './options'

const BASE: ClusterNodeOptions = { nodeId: 1, listen: '127.0.0.1:0', peers: { 2: '127.0.0.1:7002', 3: '127.0.0.1:7003' } }

/** rejected returns the INVALID_CONFIG path of resolving `extra` over BASE. */
function rejected(extra: Record<string, unknown>): unknown {
  try {
    resolveClusterNodeOptions({ ...BASE, ...extra } as ClusterNodeOptions)
  } catch (error) {
    expect(error).toBeInstanceOf(TributaryError)
    expect((error as TributaryError).code).toBe('INVALID_CONFIG')
    return (error as TributaryError).details.path
  }
  throw new Error(`expected INVALID_CONFIG for ${JSON.stringify(extra)}`)
}

describe('resolveClusterNodeOptions', () => {
  it('fills every default from the frozen defaults, and min(3, nodes) for the replication factor', () => {
    expect(Object.isFrozen(CLUSTER_NODE_DEFAULTS)).toBe(true)
    const o = resolveClusterNodeOptions(BASE)
    expect(o).toMatchObject({ ...CLUSTER_NODE_DEFAULTS, nodeId: 1, host: '127.0.0.1', port: 0, defaultReplicationFactor: 3 })
    expect([...o.peers]).toEqual([
      [2, { host: '127.0.0.1', port: 7002 }],
      [3, { host: '127.0.0.1', port: 7003 }],
    ])
    expect(resolveClusterNodeOptions({ ...BASE, peers: {} }).defaultReplicationFactor).toBe(1)
  })

  it('has no side effects: with dir it builds no storage (the node does, when it starts)', () => {
    const o = resolveClusterNodeOptions({ ...BASE, dir: '/nonexistent/tributary-options-test' })
    expect(o.dir).toBe('/nonexistent/tributary-options-test')
    expect(o.storage).toBeUndefined()
    expect(o.raftStorage).toBeUndefined()
  })

  it('rejects an unknown key, naming it', () => {
    expect(rejected({ tickMS: 10 })).toBe('options.tickMS')
  })

  it('rejects a clientBroker that is not a function', () => {
    expect(rejected({ clientBroker: 'node' })).toBe('options.clientBroker')
  })

  it('rejects non-integers and out-of-range numbers (numPartitions 1.5, a fractional nodeId, a zero tick)', () => {
    expect(rejected({ numPartitions: 1.5 })).toBe('options.numPartitions')
    expect(rejected({ numPartitions: 0 })).toBe('options.numPartitions')
    expect(rejected({ nodeId: 1.5 })).toBe('options.nodeId')
    expect(rejected({ nodeId: 0 })).toBe('options.nodeId')
    expect(rejected({ tickMs: 0 })).toBe('options.tickMs')
    expect(rejected({ defaultReplicationFactor: 4 })).toBe('options.defaultReplicationFactor')
    expect(rejected({ defaultReplicationFactor: 1.5 })).toBe('options.defaultReplicationFactor')
    expect(rejected({ numPartitions: 11, maxPartitionsPerTopic: 10 })).toBe('options.numPartitions')
    expect(rejected({ producerIdExpirationMs: -1 })).toBe('options.producerIdExpirationMs')
    expect(rejected({ seed: 0.5 })).toBe('options.seed')
  })

  it('rejects durations a Node timer cannot hold (above 2^31-1 ms)', () => {
    for (const key of ['requestTimeoutMs', 'retentionCheckIntervalMs', 'replicaLagTimeMaxMs'])
      expect(rejected({ [key]: 2 ** 31 })).toBe(`options.${key}`)
    expect(rejected({ tickMs: 60_001 })).toBe('options.tickMs')
    expect(rejected({ groupCoordinator: { initialRebalanceDelayMs: 2 ** 31 } })).toBe('options.groupCoordinator.initialRebalanceDelayMs')
  })

  it('checks booleans, addresses, peers and injected parts', () => {
    expect(rejected({ autoCreateTopics: 'yes' })).toBe('options.autoCreateTopics')
    expect(rejected({ join: 1 })).toBe('options.join')
    expect(rejected({ listen: 'nohost' })).toBe('options.listen')
    expect(rejected({ listen: '127.0.0.1:70000' })).toBe('options.listen')
    expect(rejected({ peers: { 1: '127.0.0.1:7001' } })).toBe('options.peers.1')
    expect(rejected({ peers: { 2: 'x:0' } })).toBe('options.peers.2')
    expect(rejected({ peers: [] })).toBe('options.peers')
    expect(rejected({ storage: {} })).toBe('options.storage')
    expect(rejected({ clock: { now: () => 0 } })).toBe('options.clock')
    expect(rejected({ groupCoordinator: { sessionMs: 1 } })).toBe('options.groupCoordinator.sessionMs')
    expect(rejected({ partitionSnapshots: { snapshotEveryEntries: 1.5 } })).toBe('options.partitionSnapshots.snapshotEveryEntries')
  })

  it('rejects dir combined with storage or raftStorage', () => {
    expect(rejected({ dir: '/tmp/x', storage: new MemoryStorage() })).toBe('options.dir')
    expect(rejected({ dir: '' })).toBe('options.dir')
  })
})

describe('security options', () => {
  const tls = { server: { cert: 'CERT', key: 'KEY' } }
  const sasl = { users: [{ username: 'u', password: 'p' }] }
  const clusterSecret = 'sixteen characters or more'

  test('a routable bind needs TLS, a cluster secret and SASL, or insecure: true', () => {
    expect(rejected({ listen: '0.0.0.0:7000' })).toBe('options.listen')
    expect(rejected({ raftListen: '10.0.0.5:7001' })).toBe('options.listen')
    expect(rejected({ listen: '0.0.0.0:7000', security: { tls, clusterSecret } })).toBe('options.listen')
    expect(
      resolveClusterNodeOptions({ ...BASE, listen: '0.0.0.0:7000', security: { tls, clusterSecret, sasl } }).security.sasl,
    ).toBeDefined()
    expect(resolveClusterNodeOptions({ ...BASE, listen: '0.0.0.0:7000', insecure: true }).insecure).toBe(true)
    expect(resolveClusterNodeOptions({ ...BASE, listen: 'localhost:7000' }).security.tls).toBeUndefined()
  })

  test('the parts of security are checked together', () => {
    expect(rejected({ security: { sasl } })).toBe('options.security.clusterSecret')
    expect(rejected({ security: { clusterSecret: 'short' } })).toBe('options.security.clusterSecret')
    expect(rejected({ security: { acl: [{ principal: 'u', operations: '*' }] } })).toBe('options.security.acl')
    expect(rejected({ security: { tls: {} } })).toBe('options.security.tls.server')
    expect(rejected({ security: { limits: { maxFrameBytes: 10 } } })).toBe('options.security.limits.maxFrameBytes')
    expect(rejected({ security: { bogus: 1 } })).toBe('options.security.bogus')
    expect(rejected({ advertise: 'nohostport' })).toBe('options.advertise')
    expect(rejected({ peers: { 2: { address: '127.0.0.1:7002', raft: '127.0.0.2:7003' } } })).toBe('options.peers.2.raft')
  })

  test('listen, advertise and the Raft port are separate options', () => {
    const o = resolveClusterNodeOptions({
      ...BASE,
      listen: '127.0.0.1:7000',
      advertise: 'node1.local:9000',
      raftListen: '127.0.0.1:7500',
      peers: { 2: { address: '127.0.0.1:7002', raft: '127.0.0.1:7600' }, 3: '127.0.0.1:7003' },
    })
    expect(o.raftListen).toEqual({ host: '127.0.0.1', port: 7500 })
    expect(o.advertise).toEqual({ host: 'node1.local', port: 9000 })
    expect(o.peers.get(2)).toEqual({ host: '127.0.0.1', port: 7002, raftPort: 7600 })
    expect(resolveClusterNodeOptions({ ...BASE, listen: '127.0.0.1:7000' }).raftListen).toEqual({ host: '127.0.0.1', port: 7001 })
  })
})

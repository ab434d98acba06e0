import type { Broker } from './broker'
import { TributaryError } from './errors'
import { WireConnection } from './wire-connection'
import { BROKER_METHODS, type BrokerRpc, dispatchBrokerCall, isBrokerMethod } from './wire-rpc'
import { ManualClock } from './testing/manual-clock'

/** A broker whose every method answers its own name and arguments. */
function echoBroker(): Broker {
  const methods = Object.fromEntries(BROKER_METHODS.map((m) => [m, async (...args: unknown[]) => ({ m, args })]))
  return { nodeId: 1, close: async () => undefined, ...methods } as unknown as Broker
}

describe('typed wire RPC', () => {
  it('BROKER_METHODS is every Broker method but close, each once', () => {
    expect(new Set(BROKER_METHODS).size).toBe(BROKER_METHODS.length)
    expect(BROKER_METHODS).not.toContain('close')
    expect(BROKER_METHODS).toEqual(expect.arrayContaining(['produce', 'fetch', 'joinGroup', 'alterPartitionReassignments']))
    expect(BROKER_METHODS).toHaveLength(23)
  })

  it('isBrokerMethod accepts only Broker method names (not close, fields or Object.prototype keys)', () => {
    for (const m of BROKER_METHODS) expect(isBrokerMethod(m)).toBe(true)
    for (const m of ['close', 'nodeId', 'verifiesFetchedBatches', 'toString', '__proto__', 'constructor', 'peer:produce', 3])
      expect(isBrokerMethod(m)).toBe(false)
  })

  it('dispatchBrokerCall runs a Broker method with the arguments off the wire', async () => {
    await expect(dispatchBrokerCall(echoBroker(), 'fetchOffsets', ['g', []])).resolves.toEqual({ m: 'fetchOffsets', args: ['g', []] })
  })

  it('dispatchBrokerCall refuses unknown and unimplemented methods with INVALID_REQUEST', async () => {
    await expect(dispatchBrokerCall(echoBroker(), 'close', [])).rejects.toMatchObject({ code: 'INVALID_REQUEST' })
    await expect(dispatchBrokerCall(echoBroker(), 'toString', [])).rejects.toMatchObject({ code: 'INVALID_REQUEST' })
    const single = { ...echoBroker(), alterPartitionReassignments: undefined } as Broker
    await expect(dispatchBrokerCall(single, 'alterPartitionReassignments', [[]])).rejects.toBeInstanceOf(TributaryError)
  })

  it('a call is typed by its interface: a method that is not a Broker method, or wrong arguments, does not compile', () => {
    const connection = new WireConnection<BrokerRpc>({
      host: 'h',
      port: 1,
      dial: () => {
        throw new Error('never dialled: the calls below are only type-checked')
      },
      clock: new ManualClock(0),
      requestTimeoutMs: 1,
      connectTimeoutMs: 1,
      maxInFlightRequests: 1,
      maxQueuedRequests: 1,
    })
    const typeOnly = (): void => {
      // @ts-expect-error: 'nope' is not a Broker method.
      void connection.call('nope', [])
      // @ts-expect-error: close does not cross the wire.
      void connection.call('close', [])
      // @ts-expect-error: fetchOffsets takes a group id first.
      void connection.call('fetchOffsets', [42])
      const answer: Promise<Array<{ offset: number }>> = connection.call('fetchOffsets', ['g'])
      void answer
    }
    expect(typeof typeOnly).toBe('function')
    connection.close()
  })
})

import type { Broker } from './broker'
import { TributaryError } from './errors'

/*
 * The typed RPC over the wire frames (wire-frames.ts): every call is a method name and its
 * arguments, and both are derived from an interface, so that a name that is not a method of it
 * does not compile and every answer has its method's result type. The client and the cluster
 * node's server speak `BrokerRpc` (the Broker contract); cluster nodes speak their own peer
 * interface over the same frames.
 */

/** AnyFn is any function (the constraint RPC interfaces' methods are read through). */
// biome-ignore lint/suspicious/noExplicitAny: a function type whose arguments are read by Parameters<>.
type AnyFn = (...args: any[]) => unknown

/** RpcMethod names the methods of interface `T` that return a promise (optional ones included). */
export type RpcMethod<T> = {
  [K in keyof T]-?: NonNullable<T[K]> extends (...args: never[]) => Promise<unknown> ? K : never
}[keyof T] &
  string

/** RpcArgs is the argument list of method `K` of `T`. */
export type RpcArgs<T, K extends RpcMethod<T>> = Parameters<Extract<NonNullable<T[K]>, AnyFn>>

/** RpcResult is what method `K` of `T` resolves with. */
export type RpcResult<T, K extends RpcMethod<T>> = Awaited<ReturnType<Extract<NonNullable<T[K]>, AnyFn>>>

/** BrokerMethod names every Broker call that crosses the wire: every method of the contract but `close`. */
export type BrokerMethod = Exclude<RpcMethod<Broker>, 'close'>

/** BrokerRpc is the interface a remote client calls: the Broker contract without `close` and its fields. */
export type BrokerRpc = Pick<Broker, BrokerMethod>

/**
 * BROKER_METHOD_TABLE lists every BrokerMethod once: `satisfies` makes a Broker method missing
 * here, or a name here that is not one, a compile error.
 */
const BROKER_METHOD_TABLE = {
  metadata: true,
  createTopics: true,
  deleteTopics: true,
  createPartitions: true,
  describeConfigs: true,
  alterConfigs: true,
  initProducerId: true,
  produce: true,
  fetch: true,
  listOffsets: true,
  deleteRecords: true,
  joinGroup: true,
  syncGroup: true,
  heartbeat: true,
  leaveGroup: true,
  commitOffsets: true,
  fetchOffsets: true,
  listGroups: true,
  describeGroups: true,
  deleteGroups: true,
  alterPartitionReassignments: true,
  listPartitionReassignments: true,
  unregisterBroker: true,
} as const satisfies Record<BrokerMethod, true>

/** BROKER_METHODS are the method names a broker serves to remote clients. */
export const BROKER_METHODS: readonly BrokerMethod[] = Object.freeze(Object.keys(BROKER_METHOD_TABLE) as BrokerMethod[])

/** isBrokerMethod tells whether a name read off the wire is a Broker method a client may call. */
export function isBrokerMethod(method: unknown): method is BrokerMethod {
  return typeof method === 'string' && Object.hasOwn(BROKER_METHOD_TABLE, method)
}

/**
 * dispatchBrokerCall runs a call read off the wire on `broker`. The arguments are as the peer sent
 * them: the broker checks them as it checks any caller's (every Broker method validates its input).
 * @throws TributaryError INVALID_REQUEST for a name that is not a Broker method, or one this broker
 *   does not implement (the optional cluster calls on a single node).
 */
export function dispatchBrokerCall(broker: Broker, method: string, args: readonly unknown[]): Promise<unknown> {
  if (!isBrokerMethod(method)) return Promise.reject(new TributaryError('INVALID_REQUEST', `unknown method ${String(method)}`))
  const fn = broker[method] as AnyFn | undefined
  if (typeof fn !== 'function') return Promise.reject(new TributaryError('INVALID_REQUEST', `this broker does not implement ${method}`))
  return Promise.resolve(fn.apply(broker, [...args]))
}

import { TributaryError, errorFromJSON, type RpcArgs, type RpcResult } from '@tributary/core'
import type { CallOptions } from '@tributary/core/internal'
import { FaultDice, LinkTable, type FaultModel } from '@tributary/raft'
import type { PeerMethod, PeerRpc } from './peer-rpc'

/**
 * PeerHandler serves one request from a peer: a PeerRpc method name and its arguments, as read
 * off the wire (so untyped: the handler checks the name, and the called code its arguments).
 */
export type PeerHandler = (method: string, args: unknown[], from?: PeerCallContext) => Promise<unknown>

/** PeerCallContext is what the transport knows of a peer call's sender: the node it authenticated as (over TCP with a cluster secret). */
export interface PeerCallContext {
  readonly peerId?: number
}

/**
 * PeerChannel carries requests a node forwards to another node (to a partition's leader, or to
 * the metadata leader that hosts the group coordinator). Unlike the Raft transport it is
 * request/response, typed by PeerRpc. A peer that cannot be reached fails the call with a
 * retriable LEADER_NOT_AVAILABLE.
 */
export interface PeerChannel {
  call<K extends PeerMethod>(to: number, method: K, args: RpcArgs<PeerRpc, K>, options?: CallOptions): Promise<RpcResult<PeerRpc, K>>
  /** serve installs the handler for requests from peers. */
  serve(handler: PeerHandler): void
  close(): Promise<void>
}

/** unreachable is the error of a call to a peer that is down or cut off. */
export function unreachable(to: number): TributaryError {
  return new TributaryError('LEADER_NOT_AVAILABLE', `node ${to} cannot be reached`, { details: { nodeId: to } })
}

/**
 * MemoryPeerNetwork connects the PeerChannels of nodes inside one process (tests). Calls run on
 * a later macrotask, and errors cross as JSON, as they would over a socket.
 *
 * With a FaultModel, a call may be delayed (before the request and before the response) or lost:
 * either the request never reaches the peer, or the peer served it and the response is lost. Both
 * fail the call with the retriable `unreachable` error, as a dropped connection would. Requests
 * from one node to another arrive in the order they were made, as on the one TCP connection of
 * TcpPeerChannel (a delayed request holds back the ones behind it); responses may come back in
 * any order. Calls are never duplicated, a cut link then also loses the response, and a node that
 * closes (crashes) fails the calls it was serving. Without a model the network behaves as it
 * always did.
 */
export class MemoryPeerNetwork {
  /** links: the cut links; a call across one fails with `unreachable`. */
  readonly links = new LinkTable()
  private readonly handlers = new Map<number, PeerHandler>()
  /** Per link (`from>to`), when the last request on it arrives: later requests never overtake it. */
  private readonly arrivals = new Map<string, Promise<void>>()
  /** Per node, what fails the calls it is serving when it closes (faults only: its connections drop). */
  private readonly resets = new Map<number, Set<() => void>>()
  private dice: FaultDice

  constructor(faults?: FaultModel) {
    this.dice = new FaultDice(faults)
  }

  channel(id: number): PeerChannel {
    return {
      call: <K extends PeerMethod>(to: number, method: K, args: RpcArgs<PeerRpc, K>) =>
        this.call(id, to, method, args as unknown[]) as Promise<RpcResult<PeerRpc, K>>,
      serve: (handler) => void this.handlers.set(id, handler),
      close: async () => {
        this.handlers.delete(id)
        for (const reset of [...(this.resets.get(id) ?? [])]) reset()
      },
    }
  }

  /** isolate makes `id` unreachable (and unable to reach others); heal undoes every isolate. */
  isolate(id: number): void {
    this.links.isolate(id)
  }

  heal(): void {
    this.links.heal()
  }

  /** setFaults replaces the fault model (undefined: reliable calls from now on). */
  setFaults(faults: FaultModel | undefined): void {
    this.dice = new FaultDice(faults)
  }

  private async call(from: number, to: number, method: string, args: unknown[]): Promise<unknown> {
    const dice = this.dice
    await (dice.enabled ? this.arrival(from, to, dice.delayMs()) : pause(0))
    const handler = this.handlers.get(to)
    if (handler === undefined || this.links.blocked(from, to)) throw unreachable(to)
    if (!dice.enabled) return serve(handler, method, args)
    return this.callWithFaults(dice, from, to, () => this.untilClosed(to, serve(handler, method, args)))
  }

  /** untilClosed settles like `served`, or fails with `unreachable` once node `to` closes first, as a dropped connection would. */
  private untilClosed(to: number, served: Promise<unknown>): Promise<unknown> {
    let resets = this.resets.get(to)
    if (resets === undefined) this.resets.set(to, (resets = new Set()))
    const pending = resets
    let reset: () => void = () => undefined
    const closed = new Promise<never>((_, reject) => (reset = () => reject(unreachable(to))))
    pending.add(reset)
    return Promise.race([served, closed]).finally(() => pending.delete(reset))
  }

  /** arrival resolves when a request sent now on link from→to arrives: after `delayMs` and after every earlier request. */
  private arrival(from: number, to: number, delayMs: number): Promise<void> {
    const link = `${from}>${to}`
    const previous = this.arrivals.get(link) ?? Promise.resolve()
    const arrived = Promise.all([previous, pause(delayMs)]).then(() => undefined)
    this.arrivals.set(link, arrived)
    void arrived.then(() => {
      if (this.arrivals.get(link) === arrived) this.arrivals.delete(link)
    })
    return arrived
  }

  /** callWithFaults loses the request or the response as `dice` draws, and delays the response. */
  private async callWithFaults(dice: FaultDice, from: number, to: number, run: () => Promise<unknown>): Promise<unknown> {
    const lost = dice.drop()
    const responseLost = lost && dice.coin()
    if (lost && !responseLost) throw unreachable(to)
    const outcome = await run().then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    )
    await pause(dice.delayMs())
    // The peer served the request either way: only its answer is lost.
    if (responseLost || this.links.blocked(to, from)) throw unreachable(to)
    if (!outcome.ok) throw outcome.error
    return outcome.value
  }
}

/** serve runs a peer's handler; its errors cross as JSON, as they would over a socket. */
async function serve(handler: PeerHandler, method: string, args: unknown[]): Promise<unknown> {
  try {
    return await handler(method, args)
  } catch (error) {
    throw error instanceof TributaryError ? errorFromJSON(error.toJSON()) : error
  }
}

/** pause waits one macrotask, plus `extraMs` when it is positive. */
function pause(extraMs: number): Promise<void> {
  return new Promise((resolve) => (extraMs > 0 ? setTimeout(resolve, extraMs) : setImmediate(resolve)))
}

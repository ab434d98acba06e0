import { TributaryError, errorFromJSON } from '@tributary/core'

/** PeerHandler serves one forwarded request: a Broker method name and its arguments. */
export type PeerHandler = (method: string, args: unknown[]) => Promise<unknown>

/**
 * PeerChannel carries requests a node forwards to another node (to a partition's leader, or to
 * the metadata leader that hosts the group coordinator). Unlike the Raft transport it is
 * request/response. A peer that cannot be reached fails the call with a retriable
 * LEADER_NOT_AVAILABLE.
 */
export interface PeerChannel {
  call(to: number, method: string, args: unknown[]): Promise<unknown>
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
 */
export class MemoryPeerNetwork {
  private readonly handlers = new Map<number, PeerHandler>()
  private readonly cut = new Set<number>()

  channel(id: number): PeerChannel {
    return {
      call: (to, method, args) => this.call(id, to, method, args),
      serve: (handler) => void this.handlers.set(id, handler),
      close: async () => void this.handlers.delete(id),
    }
  }

  /** isolate makes `id` unreachable (and unable to reach others); heal undoes every isolate. */
  isolate(id: number): void {
    this.cut.add(id)
  }

  heal(): void {
    this.cut.clear()
  }

  private async call(from: number, to: number, method: string, args: unknown[]): Promise<unknown> {
    await new Promise((resolve) => setImmediate(resolve))
    const handler = this.handlers.get(to)
    if (handler === undefined || this.cut.has(from) || this.cut.has(to)) throw unreachable(to)
    try {
      return await handler(method, args)
    } catch (error) {
      throw error instanceof TributaryError ? errorFromJSON(error.toJSON()) : error
    }
  }
}

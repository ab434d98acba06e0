import { createServer, type Server, type Socket } from 'node:net'
import { TributaryError, type Broker } from '@tributary/core'
import { FrameReader, dispatchBrokerCall, encodeFrame, type WireHeader } from '@tributary/core/internal'
import type { PeerHandler } from './peer-channel'

/**
 * BrokerServer serves the wire protocol (see wire.ts) on a node's listen address: Broker calls
 * from remote clients (@tributary/client's RemoteBroker), and `peer:`-prefixed calls forwarded by
 * other nodes. Requests on one connection run concurrently (a long-polling fetch does not hold up
 * a produce); `$cancel` with a fetch's request id ends that fetch early.
 */
export class BrokerServer {
  private readonly sockets = new Set<Socket>()

  private constructor(
    private readonly server: Server,
    private readonly broker: Broker,
    private readonly peer: PeerHandler,
  ) {
    server.on('connection', (s) => this.accept(s))
  }

  static async listen(broker: Broker, peer: PeerHandler, host: string, port: number): Promise<BrokerServer> {
    const server = createServer()
    const bs = new BrokerServer(server, broker, peer)
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => resolve())
    })
    return bs
  }

  get port(): number {
    const a = this.server.address()
    return typeof a === 'object' && a !== null ? a.port : 0
  }

  private accept(s: Socket): void {
    s.setNoDelay(true)
    this.sockets.add(s)
    const reader = new FrameReader()
    // Long-polling fetches of this connection by request id, so that a `$cancel` can end one.
    const fetches = new Map<number, AbortController>()
    s.on('data', (chunk) => {
      try {
        reader.push(chunk, (h) => void this.serve(s, h, fetches))
      } catch {
        s.destroy()
      }
    })
    s.on('error', () => undefined)
    s.once('close', () => {
      this.sockets.delete(s)
      for (const c of fetches.values()) c.abort()
    })
  }

  private async serve(s: Socket, h: WireHeader, fetches: Map<number, AbortController>): Promise<void> {
    // `$cancel` ends a long-polling fetch early (the client's AbortSignal); it has no answer.
    if (h.m === '$cancel') return void fetches.get(Number((h.a as unknown[])?.[0]))?.abort()
    // JSON has no undefined: a null argument means "not given", so the method's defaults apply.
    const args = (Array.isArray(h.a) ? h.a : []).map((a: unknown) => (a === null ? undefined : a))
    let controller: AbortController | undefined
    if (h.m === 'fetch' && args[0] !== null && typeof args[0] === 'object') {
      controller = new AbortController()
      fetches.set(h.id, controller)
      args[0] = { ...(args[0] as object), signal: controller.signal }
    }
    let reply: WireHeader
    try {
      reply = { id: h.id, v: await this.dispatch(h.m ?? '', args) }
    } catch (error) {
      reply = { id: h.id, e: error instanceof TributaryError ? error : new TributaryError('UNKNOWN_SERVER_ERROR', String(error)) }
    } finally {
      if (controller !== undefined) fetches.delete(h.id)
    }
    if (!s.destroyed) s.write(encodeFrame(reply))
  }

  private dispatch(method: string, args: unknown[]): Promise<unknown> {
    if (method.startsWith('peer:')) return this.peer(method.slice(5), args)
    return dispatchBrokerCall(this.broker, method, args)
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}

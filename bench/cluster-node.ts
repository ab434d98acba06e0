/**
 * One ClusterNode in a process of its own, for the `cluster` workload (started by
 * `lib/cluster-procs.ts`, not by hand). It serves clients and peers on localhost TCP and keeps
 * its data in DATA_DIR, says `{ type: 'ready' }` over IPC once it serves, closes cleanly and exits
 * on `{ type: 'stop' }` (so that `--cpu-prof` can write its profile), and exits when its parent goes.
 *
 * Env: NODE_ID, LISTEN ('127.0.0.1:port'; Raft on port + 1), PEERS (JSON `{ id: 'host:port' }`),
 * DATA_DIR, TICK_MS.
 */
import { ClusterNode } from '@tributary/cluster'

async function main(): Promise<void> {
  const node = await ClusterNode.start({
    nodeId: Number(process.env.NODE_ID),
    listen: process.env.LISTEN!,
    peers: JSON.parse(process.env.PEERS!) as Record<number, string>,
    dir: process.env.DATA_DIR!,
    tickMs: Number(process.env.TICK_MS ?? 50),
  })
  process.on('message', (message: { type?: string }) => {
    if (message.type !== 'stop') return
    void node.close().finally(() => process.exit(0))
  })
  process.on('disconnect', () => process.exit(0))
  process.send!({ type: 'ready' })
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})

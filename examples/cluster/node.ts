/**
 * One cluster node as its own OS process, started by `processes.ts` (not by hand). It reads its
 * identity from the environment, serves clients and peers on localhost TCP, keeps its data in
 * its own directory, tells its parent over IPC when it serves, and exits when its parent goes.
 *
 * Env: NODE_ID (1, 2, 3), LISTEN ('127.0.0.1:port'; Raft uses port + 1), PEERS (JSON
 * `{ "2": "127.0.0.1:port", … }`), DATA_DIR (this node's `dir`).
 */
import { ClusterNode } from '@tributary/cluster'

async function main(): Promise<void> {
  await ClusterNode.start({
    nodeId: Number(process.env.NODE_ID),
    listen: process.env.LISTEN as string,
    peers: JSON.parse(process.env.PEERS as string) as Record<number, string>,
    dir: process.env.DATA_DIR as string,
    // Short ticks so that a failover takes well under a second (election timeout 10–20 ticks).
    tickMs: 25,
    // The demo's consumer asks for a short session, so that it notices a lost coordinator quickly.
    groupCoordinator: { minSessionTimeoutMs: 1000 },
  })
  process.send?.({ type: 'ready' })
  // The parent going away (exit, crash, Ctrl-C) takes the node down too: no orphans.
  process.on('disconnect', () => process.exit(0))
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})

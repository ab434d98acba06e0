import os from 'node:os'

/** Machine is what the results file records about where the numbers were measured. */
export interface Machine {
  cpus: number
  cpuModel: string
  memBytes: number
  node: string
  platform: string
  kernel: string
}

/** describeMachine reads the machine description from `node:os`. */
export function describeMachine(): Machine {
  const cpus = os.cpus()
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memBytes: os.totalmem(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    kernel: os.release(),
  }
}

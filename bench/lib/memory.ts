import { readFileSync, readdirSync } from 'node:fs'

/** peakRssBytes is this process's peak resident set size so far. */
export function peakRssBytes(): number {
  // maxRSS is in kilobytes on Linux (the ru_maxrss of getrusage).
  return process.resourceUsage().maxRSS * 1024
}

/** processPeakRssBytes reads another process's peak RSS (VmHWM) from /proc; 0 where unavailable. */
export function processPeakRssBytes(pid: number): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Number(match[1]) * 1024 : 0
  } catch {
    return 0
  }
}

/** openDescriptors counts this process's open file descriptors (Linux); -1 where unavailable. */
export function openDescriptors(): number {
  try {
    return readdirSync('/proc/self/fd').length
  } catch {
    return -1
  }
}

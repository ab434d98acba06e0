import * as fs from 'node:fs'
import { dirname, join } from 'node:path'
import type { StorageDamage, StorageInspection } from '@tributary/core'
import { DirectoryLock } from '../lock-file'
import { OFFSETS_FILE_NAME } from '../offsets-store'
import { parseSegmentFileName } from '../segment'

/** RepairAction is one change `truncateCorruptTails` made. */
export interface RepairAction {
  file: string
  action: string
}

/**
 * truncateCorruptTails repairs what `inspectDirectory({ verify: true })` found, by cutting: a
 * damaged segment is truncated at its last valid batch and every later segment of that partition
 * is deleted (their records are lost, as recovery does for a torn tail); a damaged index file is
 * deleted (the next open rebuilds it from the segment); a damaged committed-offsets tail is cut.
 * It takes the directory lock for the whole repair. Damage it cannot repair (an unreadable
 * metadata file) is left alone.
 * @throws TributaryError STORAGE_LOCKED when a live process owns the directory.
 */
export function truncateCorruptTails(inspection: StorageInspection): RepairAction[] {
  const lock = new DirectoryLock(inspection.path)
  lock.acquire()
  const actions: RepairAction[] = []
  try {
    const cutPartitions = new Set<string>()
    // Segment damage first, oldest segment first, so a cut removes the later segments' index damage with them.
    const ordered = [...inspection.damage].sort((a, b) => (a.segmentBaseOffset ?? 0) - (b.segmentBaseOffset ?? 0))
    for (const d of ordered) {
      if (!d.truncatable) continue
      const key = `${d.topic}-${d.partition}`
      if (d.file.endsWith('.log') && d.file !== join(inspection.path, OFFSETS_FILE_NAME)) {
        if (cutPartitions.has(key)) continue
        cutPartitions.add(key)
        actions.push(...cutSegment(d))
      } else if (d.file.endsWith('.index') || d.file.endsWith('.timeindex')) {
        if (!fs.existsSync(d.file)) continue
        fs.unlinkSync(d.file)
        actions.push({ file: d.file, action: 'deleted (rebuilt on the next open)' })
      } else if (d.file === join(inspection.path, OFFSETS_FILE_NAME) && d.position !== undefined) {
        fs.truncateSync(d.file, d.position)
        actions.push({ file: d.file, action: `truncated to ${d.position} bytes` })
      }
    }
  } finally {
    lock.release()
  }
  return actions
}

function cutSegment(d: StorageDamage): RepairAction[] {
  const actions: RepairAction[] = []
  const pdir = dirname(d.file)
  const base = d.segmentBaseOffset ?? 0
  const position = d.position ?? 0
  fs.truncateSync(d.file, position)
  actions.push({ file: d.file, action: `truncated to ${position} bytes` })
  const name = String(base).padStart(20, '0')
  for (const ext of ['.index', '.timeindex']) {
    const index = join(pdir, name + ext)
    if (fs.existsSync(index)) fs.unlinkSync(index)
  }
  for (const file of fs.readdirSync(pdir)) {
    const later = parseSegmentFileName(file)
    if (later === null || later <= base) continue
    const stem = file.slice(0, -'.log'.length)
    for (const ext of ['.log', '.index', '.timeindex']) {
      const path = join(pdir, stem + ext)
      if (fs.existsSync(path)) fs.unlinkSync(path)
    }
    actions.push({ file: join(pdir, file), action: 'deleted (it followed the damage)' })
  }
  return actions
}

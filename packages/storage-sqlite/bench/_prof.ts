import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RecordBatch, encodeRecordBatch } from '@tributary/core'
import type { RecordInput } from '@tributary/core'
import { SqliteStorage } from '/work/main/packages/storage-sqlite/src/index'
const pool = Buffer.alloc(116*4096, 7)
const batches: RecordInput[][] = []
for (let b=0;b<1000;b++){ const r: RecordInput[]=[]; for(let i=0;i<1000;i++){const at=((b*1000+i)%4096)*116; r.push({key:pool.subarray(at,at+16),value:pool.subarray(at+16,at+116),headers:[],timestamp:1.7e12+b})} batches.push(r) }
async function main(){
  const dir = mkdtempSync(join(tmpdir(),'prof-'))
  const s = new SqliteStorage({ path: join(dir,'t.db') }); await s.open()
  const log = s.partitionLog({topic:'b',partition:0},{segmentBytes:1<<30,segmentMs:1e12,indexIntervalBytes:4096})
  let t = performance.now(); const enc = batches.map(r=>encodeRecordBatch(r)); console.log('encode ms', (performance.now()-t).toFixed(0))
  t = performance.now(); for (const b of enc) log.append(b); console.log('append ms', (performance.now()-t).toFixed(0))
  for (let k=0;k<3;k++){
  t = performance.now(); const bufs: Buffer[] = []
  for (let next=0; next<log.endOffset();){ for (const buf of log.read(next, 1<<20)){ bufs.push(buf); next = RecordBatch.fromChecked(buf).lastOffset+1 } }
  const tr = performance.now()-t
  t = performance.now(); let n=0; for (const buf of bufs){ for (const r of RecordBatch.fromChecked(buf).records()){ n+= r.value!.length } }
  console.log('read ms', tr.toFixed(0), 'decode ms', (performance.now()-t).toFixed(0)) }
  await s.close(); rmSync(dir,{recursive:true})
}
main()

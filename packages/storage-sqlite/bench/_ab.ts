import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RecordBatch, encodeRecordBatch } from '@tributary/core'
import type { RecordInput } from '@tributary/core'
import { SqliteStorage } from '../src/index'
const pool = Buffer.alloc(116*4096, 7)
const N = 1000
const enc: Buffer[] = []
for (let b=0;b<N;b++){ const r: RecordInput[]=[]; for(let i=0;i<1000;i++){const at=((b*1000+i)%4096)*116; r.push({key:pool.subarray(at,at+16),value:pool.subarray(at+16,at+116),headers:[],timestamp:1.7e12+b})} enc.push(encodeRecordBatch(r)) }
const configs: Record<string, object> = {
  default: {},
  ckpt16k: { walAutocheckpointPages: 16384 },
  page64k: { pageSizeBytes: 65536, walAutocheckpointPages: 1024 },
  page32k: { pageSizeBytes: 32768, walAutocheckpointPages: 2048 },
  nommap: { mmapSizeBytes: 0 },
}
const res: Record<string, {a:number[], r:number[]}> = {}
async function one(name: string, opts: object){
  const dir = mkdtempSync(join(tmpdir(),'ab-'))
  const s = new SqliteStorage({ path: join(dir,'t.db'), ...opts }); await s.open()
  const log = s.partitionLog({topic:'b',partition:0},{segmentBytes:1<<30,segmentMs:1e12,indexIntervalBytes:4096})
  let t = performance.now(); for (const b of enc) log.append(b); const a = performance.now()-t
  t = performance.now()
  for (let next=0; next<log.endOffset();){ const bufs = log.read(next, 1<<20); const last = bufs[bufs.length-1]!; next = RecordBatch.fromChecked(last).lastOffset+1 }
  const r = performance.now()-t
  await s.close(); rmSync(dir,{recursive:true})
  ;(res[name] ??= {a:[],r:[]}); res[name]!.a.push(Math.round(N*1000/a*1000)); res[name]!.r.push(Math.round(N*1000/r*1000))
}
async function main(){
  for (let k=0;k<3;k++) for (const [n,o] of Object.entries(configs)) await one(n,o)
  const med = (x:number[]) => [...x].sort((p,q)=>p-q)[1]
  for (const [n,v] of Object.entries(res)) console.log(n.padEnd(10), 'append', med(v.a)!.toLocaleString(), 'read(no decode)', med(v.r)!.toLocaleString(), JSON.stringify(v))
}
main()

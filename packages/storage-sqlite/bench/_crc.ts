import { crc32c } from '@tributary/core'
const b = Buffer.alloc(133000, 3)
let t = performance.now(); let x = 0
for (let i = 0; i < 1000; i++) x ^= crc32c(b, 21)
console.log('crc 1000x133KB ms', (performance.now() - t).toFixed(1))
t = performance.now()
for (let i = 0; i < 1000; i++) x ^= crc32c(b)
console.log('crc whole ms', (performance.now() - t).toFixed(1))
t = performance.now()
for (let i = 0; i < 1000; i++) { const c = Buffer.allocUnsafe(133000); b.copy(c) }
console.log('alloc+copy ms', (performance.now() - t).toFixed(1))

import { JoinBuffers } from './join-buffers'

test('lends at most maxBuffers buffers of bufferBytes, reuses what is given back, refuses larger frames', () => {
  const pool = new JoinBuffers(1024, 2)
  expect(pool.take(2048)).toBeUndefined()
  const a = pool.take(100) as Buffer
  const b = pool.take(1024) as Buffer
  expect([a.length, b.length]).toEqual([100, 1024])
  expect(a.buffer).not.toBe(b.buffer)
  expect(pool.take(10)).toBeUndefined()
  expect(pool.lentCount).toBe(2)
  pool.give(a)
  expect(pool.lentCount).toBe(1)
  const c = pool.take(500) as Buffer
  expect(c.buffer).toBe(a.buffer)
  expect(c.length).toBe(500)
  pool.give(b)
  pool.give(c)
  expect(pool.lentCount).toBe(0)
})

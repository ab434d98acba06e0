import { Histogram } from './histogram'

test('a histogram counts into cumulative buckets with a +Inf bucket, a sum and a count', () => {
  const h = new Histogram([1, 5, 10])
  for (const v of [0.5, 1, 3, 7, 12, 100]) h.observe(v)
  expect(h.snapshot()).toEqual({
    buckets: [
      { le: 1, count: 2 },
      { le: 5, count: 3 },
      { le: 10, count: 4 },
      { le: Number.POSITIVE_INFINITY, count: 6 },
    ],
    sum: 123.5,
    count: 6,
  })
})

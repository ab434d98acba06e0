/**
 * A small seeded pseudo-random source for tests, simulations and the bench. Everything that
 * draws randomness takes one of these, so a failing run replays exactly from its printed seed.
 * The generator is sfc32 (Chris Doty-Humphrey's Small Fast Counting generator): 128 bits of
 * state, fast in 32-bit JavaScript arithmetic, and good enough for tests (not for secrets).
 */

/** Random is a seeded source of numbers and bytes. */
export interface Random {
  /** The seed this source was created from, for printing on failure. */
  readonly seed: number
  /** next returns a float in [0, 1). */
  next(): number
  /** int returns an integer in [0, maxExclusive). */
  int(maxExclusive: number): number
  /** range returns an integer in [min, maxInclusive]. */
  range(min: number, maxInclusive: number): number
  /** bool returns true with probability `p` (default 0.5). */
  bool(p?: number): boolean
  /** pick returns one element of a non-empty array. */
  pick<T>(items: readonly T[]): T
  /** bytes returns `n` random bytes. */
  bytes(n: number): Buffer
}

/**
 * createRandom returns a sfc32 generator seeded from `seed` (any 32-bit integer; other numbers
 * are truncated). Two sources created with the same seed yield the same sequence.
 */
export function createRandom(seed: number): Random {
  const seed32 = seed >>> 0
  // splitmix32 spreads a small seed over the 128-bit state so that seeds 1, 2, 3 are unrelated.
  let s = seed32
  const split = (): number => {
    s = (s + 0x9e3779b9) | 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    return (z ^ (z >>> 16)) >>> 0
  }
  let a = split()
  let b = split()
  let c = split()
  let d = split()
  const u32 = (): number => {
    const t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return t >>> 0
  }
  // Warm up: the first outputs of sfc32 are still correlated with the seed.
  for (let i = 0; i < 12; i++) u32()

  const next = (): number => u32() / 4294967296
  const int = (maxExclusive: number): number => {
    if (!Number.isSafeInteger(maxExclusive) || maxExclusive <= 0) {
      throw new RangeError(`Random.int: maxExclusive must be a positive integer, got ${maxExclusive}`)
    }
    return Math.floor(next() * maxExclusive)
  }
  return {
    seed: seed32,
    next,
    int,
    range: (min, maxInclusive) => min + int(maxInclusive - min + 1),
    bool: (p = 0.5) => next() < p,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RangeError('Random.pick: empty array')
      return items[int(items.length)] as T
    },
    bytes(n: number): Buffer {
      const out = Buffer.allocUnsafe(n)
      for (let i = 0; i < n; i++) out[i] = u32() & 0xff
      return out
    },
  }
}

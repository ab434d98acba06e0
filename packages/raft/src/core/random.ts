/**
 * RandomSource is the only way the core draws randomness (the election timeout), so a seeded
 * source makes a whole cluster replayable.
 */
export interface RandomSource {
  /** nextInt returns an integer uniformly drawn from [0, bound). */
  nextInt(bound: number): number
}

/**
 * Sfc32 is Chris Doty-Humphrey's "small fast counter" generator: 128 bits of state, fast in
 * 32-bit JavaScript arithmetic and good enough for simulation. It is deterministic for a seed.
 */
export class Sfc32 implements RandomSource {
  private a: number
  private b: number
  private c: number
  private d: number

  constructor(seed: number) {
    // Spread the seed over the state and discard the first outputs, which correlate with it.
    this.a = 0x9e3779b9
    this.b = 0x243f6a88
    this.c = 0xb7e15162
    this.d = seed >>> 0
    this.b ^= Math.floor(seed / 0x100000000) >>> 0
    for (let i = 0; i < 15; i++) this.nextUint32()
  }

  /** nextUint32 returns the next raw 32-bit output. */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0
    this.d = (this.d + 1) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) | 0
    return t >>> 0
  }

  /** nextFloat returns a number uniformly drawn from [0, 1). */
  nextFloat(): number {
    return this.nextUint32() / 0x100000000
  }

  nextInt(bound: number): number {
    return Math.floor(this.nextFloat() * bound)
  }

  /** chance returns true with probability `p`. */
  chance(p: number): boolean {
    return this.nextFloat() < p
  }

  /** fork derives an independent generator, so one subsystem's draws do not shift another's. */
  fork(): Sfc32 {
    return new Sfc32(this.nextUint32() * 0x100000 + (this.nextUint32() & 0xfffff))
  }
}

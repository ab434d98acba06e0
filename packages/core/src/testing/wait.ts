/**
 * Polling waits for tests that watch asynchronous systems (clusters, consumers, child
 * processes) on real time. Each throws after its bound, so a stuck condition fails the test
 * instead of hanging it.
 */

/**
 * waitUntil polls `f` every 5 ms until it returns a value other than undefined/false.
 * @throws Error 'waitUntil: timed out' after `timeoutMs` (default 5,000 ms).
 */
export async function waitUntil<T>(f: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = f()
    if (v !== undefined && v !== false) return v
    if (Date.now() > deadline) throw new Error('waitUntil: timed out')
    await new Promise((r) => setTimeout(r, 5))
  }
}

/**
 * eventually retries async `f` every 10 ms until it returns a value other than undefined.
 * @throws Error 'eventually: timed out' after `timeoutMs` (default 5,000 ms).
 */
export async function eventually<T>(f: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await f()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error('eventually: timed out')
    await new Promise((r) => setTimeout(r, 10))
  }
}

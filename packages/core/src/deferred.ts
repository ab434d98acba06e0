/** Deferred is a promise with its resolve and reject functions at hand, for work that completes later. */
export interface Deferred<T> {
  promise: Promise<T>
  resolve(value: T): void
  reject(error: unknown): void
}

/** deferred creates a Deferred. Its promise never causes an unhandled rejection by itself. */
export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  // Rejections are delivered to whoever awaits the promise; nobody waiting is not a crash.
  promise.catch(() => undefined)
  return { promise, resolve, reject }
}

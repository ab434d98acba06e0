import { ScramClient, saslName } from './scram'

/*
 * RFC 7677 §3's SCRAM-SHA-256 exchange, replayed with its client nonce; SCRAM-SHA-512 has no RFC
 * vector, so its expected messages were computed with CPython's hashlib/hmac (an independent
 * implementation that reproduces the RFC 7677 vector too) over the same inputs.
 */

const CLIENT_NONCE = 'rOprNGfwEbeRWgbNEkqO'
const SERVER_FIRST = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'

describe('SCRAM client', () => {
  test('SCRAM-SHA-256 reproduces RFC 7677 §3 message for message', () => {
    const c = new ScramClient('SCRAM-SHA-256', 'user', 'pencil', CLIENT_NONCE)
    expect(c.clientFirst()).toBe('n,,n=user,r=rOprNGfwEbeRWgbNEkqO')
    expect(c.clientFinal(SERVER_FIRST)).toBe(
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    )
    expect(() => c.verifyServerFinal('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=')).not.toThrow()
  })

  test('SCRAM-SHA-512 gives the proof and accepts the signature an independent implementation computes', () => {
    const c = new ScramClient('SCRAM-SHA-512', 'user', 'pencil', CLIENT_NONCE)
    expect(c.clientFinal(SERVER_FIRST)).toBe(
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=gMGXRcevScNtxZ6/8lQYpGtnsNAc3mGcmNomv+xnoOMw+3R2xNJdMNnzMlTN8PPC6wdp6dybEmDYXYTxwnYPJQ==',
    )
    expect(() =>
      c.verifyServerFinal('v=ZQnYEgWQMFmmsM8aQMF0nDDCy/AgCzkwk8CmMZYcMg0vSVlKDanekLtifDSeVGT4+5ZxXnJq199RVG2rR7N7Zw=='),
    ).not.toThrow()
  })

  test('a server that does not know the password is caught by its signature', () => {
    const c = new ScramClient('SCRAM-SHA-256', 'user', 'pencil', CLIENT_NONCE)
    c.clientFinal(SERVER_FIRST)
    const forged = Buffer.alloc(32, 1).toString('base64')
    expect(() => c.verifyServerFinal(`v=${forged}`)).toThrow(expect.objectContaining({ code: 'SASL_AUTHENTICATION_FAILED' }))
    expect(() => c.verifyServerFinal('e=invalid-proof')).toThrow(/invalid-proof/)
  })

  test('server-first messages that would weaken the exchange are refused', () => {
    const c = (): ScramClient => new ScramClient('SCRAM-SHA-256', 'user', 'pencil', CLIENT_NONCE)
    const refused = (serverFirst: string): void =>
      expect(() => c().clientFinal(serverFirst)).toThrow(expect.objectContaining({ code: 'SASL_AUTHENTICATION_FAILED' }))
    refused('r=someoneElsesNonce,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096') // not our nonce
    refused(`r=${CLIENT_NONCE},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096`) // no server part
    refused(`r=${CLIENT_NONCE}xyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1000`) // too few iterations
    refused(`r=${CLIENT_NONCE}xyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=99999999`) // absurdly many
    refused(`r=${CLIENT_NONCE}xyz,i=4096`) // no salt
    refused('e=unknown-user')
    refused('garbage')
  })

  test('names with , and = are escaped as RFC 5802 says', () => {
    expect(saslName('a,b=c')).toBe('a=2Cb=3Dc')
    expect(new ScramClient('SCRAM-SHA-256', 'a,b', 'p', 'n').clientFirst()).toBe('n,,n=a=2Cb,r=n')
  })

  test('a fresh client makes a fresh nonce each time', () => {
    const a = new ScramClient('SCRAM-SHA-256', 'u', 'p').clientFirst()
    const b = new ScramClient('SCRAM-SHA-256', 'u', 'p').clientFirst()
    expect(a).not.toBe(b)
    expect(a).toMatch(/^n,,n=u,r=[A-Za-z0-9+/=]{40,}$/)
  })
})

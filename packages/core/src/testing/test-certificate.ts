import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * makeTestCertificate makes a self-signed certificate for `localhost` and `127.0.0.1` (RSA 2048,
 * valid one day) with openssl, for tests of TLS listeners: the certificate serves as its own CA.
 * @throws Error when openssl is missing (apt-get install -y openssl): such a test fails, never skips.
 */
export function makeTestCertificate(): { cert: Buffer; key: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-cert-'))
  try {
    const keyFile = join(dir, 'key.pem')
    const certFile = join(dir, 'cert.pem')
    const subject = ['-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost']
    try {
      execFileSync(
        'openssl',
        ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', ...subject, '-keyout', keyFile, '-out', certFile],
        {
          stdio: 'ignore',
        },
      )
    } catch (error) {
      throw new Error('openssl could not make a test certificate (apt-get install -y openssl)', { cause: error })
    }
    return { cert: readFileSync(certFile), key: readFileSync(keyFile) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

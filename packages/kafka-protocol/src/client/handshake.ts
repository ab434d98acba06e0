import { TributaryError } from '@tributary/core'
import { ApiVersionTable } from './api-versions'
import { CLIENT_SOFTWARE, type KafkaConnection } from './connection'

const API_VERSIONS = 18
const UNSUPPORTED_VERSION = 35

/**
 * negotiateApiVersions asks the broker which API versions it serves. It asks with ApiVersions v3
 * (which names the client software, for the broker's metrics); a broker too old for v3 answers
 * UNSUPPORTED_VERSION with a v0 body (KIP-511), which does not decode as v3, and is then asked
 * with v0, which every broker since 0.10 serves and whose answer lists the same ranges.
 * @throws TributaryError from the connection, or the broker's error for a refused v0.
 */
export async function negotiateApiVersions(connection: KafkaConnection): Promise<ApiVersionTable> {
  try {
    const { body } = await connection.request(
      API_VERSIONS,
      { clientSoftwareName: CLIENT_SOFTWARE.name, clientSoftwareVersion: CLIENT_SOFTWARE.version },
      { version: 3 },
    )
    if (body.errorCode === 0) return new ApiVersionTable(body.apiKeys)
    if (body.errorCode !== UNSUPPORTED_VERSION) throw brokerRefused(connection, body.errorCode)
  } catch (error) {
    if (!(error instanceof TributaryError) || error.code !== 'CORRUPT_MESSAGE') throw error
  }
  const { body } = await connection.request(API_VERSIONS, {}, { version: 0 })
  if (body.errorCode !== 0) throw brokerRefused(connection, body.errorCode)
  return new ApiVersionTable(body.apiKeys)
}

function brokerRefused(connection: KafkaConnection, errorCode: number): TributaryError {
  return new TributaryError('UNSUPPORTED_VERSION', `${connection.address} refused ApiVersions with error code ${errorCode}`, {
    details: { broker: connection.address, kafkaErrorCode: errorCode },
  })
}

import type { Reader } from './reader'
import type { Writer } from './writer'

/*
 * Request and response headers (Kafka's RequestHeader.json / ResponseHeader.json):
 *
 *   request v1  api_key int16 | api_version int16 | correlation_id int32 | client_id NULLABLE_STRING
 *   request v2  v1 + tagged fields; client_id keeps its int16 length (it is never compact)
 *   response v0 correlation_id int32
 *   response v1 v0 + tagged fields
 *
 * A flexible API version uses request v2 / response v1, else v1 / v0; ApiVersions' response header
 * is always v0 (KIP-511: a client must read it before it knows what the broker speaks). Request
 * header v0 (no client_id) is only ControlledShutdown v0's, an inter-broker API not served here.
 */

/** RequestHeader is a decoded request header. */
export interface RequestHeader {
  apiKey: number
  apiVersion: number
  correlationId: number
  /** The client id as sent: null when the client sent a null string. */
  clientId: string | null
}

/** RequestHeaderVersion is 1 (fixed versions) or 2 (flexible versions). */
export type RequestHeaderVersion = 1 | 2
/** ResponseHeaderVersion is 0 (fixed versions, and ApiVersions always) or 1 (flexible versions). */
export type ResponseHeaderVersion = 0 | 1

/** API_VERSIONS_KEY is ApiVersions' key, whose response header is always v0. */
export const API_VERSIONS_KEY = 18

/** requestHeaderVersionFor picks the request header version of an API version. */
export function requestHeaderVersionFor(flexible: boolean): RequestHeaderVersion {
  return flexible ? 2 : 1
}

/** responseHeaderVersionFor picks the response header version of an API version. */
export function responseHeaderVersionFor(apiKey: number, flexible: boolean): ResponseHeaderVersion {
  return flexible && apiKey !== API_VERSIONS_KEY ? 1 : 0
}

/** readRequestHeader reads a request header (v1 or v2) from the reader's position. */
export function readRequestHeader(r: Reader, version: RequestHeaderVersion): RequestHeader {
  const apiKey = r.int16('header.requestApiKey')
  const apiVersion = r.int16('header.requestApiVersion')
  const correlationId = r.int32('header.correlationId')
  const clientId = r.nstring('header.clientId')
  if (version === 2) r.skipTaggedFields('header.<tagged fields>')
  return { apiKey, apiVersion, correlationId, clientId }
}

/** sizeOfRequestHeader is the encoded size of a request header with `clientId`. */
export function sizeOfRequestHeader(clientId: string | null, version: RequestHeaderVersion): number {
  return 8 + 2 + (clientId === null ? 0 : Buffer.byteLength(clientId)) + (version === 2 ? 1 : 0)
}

/** writeRequestHeader writes a request header (v1 or v2). */
export function writeRequestHeader(w: Writer, h: RequestHeader, version: RequestHeaderVersion): void {
  w.int16(h.apiKey, 'header.requestApiKey')
  w.int16(h.apiVersion, 'header.requestApiVersion')
  w.int32(h.correlationId, 'header.correlationId')
  w.string(h.clientId, true, 'header.clientId')
  if (version === 2) w.uvarint(0)
}

/** readResponseHeader reads a response header (v0 or v1) and returns its correlation id. */
export function readResponseHeader(r: Reader, version: ResponseHeaderVersion): number {
  const correlationId = r.int32('header.correlationId')
  if (version === 1) r.skipTaggedFields('header.<tagged fields>')
  return correlationId
}

/** sizeOfResponseHeader is 4 (v0) or 5 (v1, with an empty tagged-fields section). */
export function sizeOfResponseHeader(version: ResponseHeaderVersion): number {
  return version === 1 ? 5 : 4
}

/** writeResponseHeader writes a response header (v0 or v1). */
export function writeResponseHeader(w: Writer, correlationId: number, version: ResponseHeaderVersion): void {
  w.int32(correlationId, 'header.correlationId')
  if (version === 1) w.uvarint(0)
}

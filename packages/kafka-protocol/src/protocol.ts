import { InvariantError } from '@tributary/core/internal'
import { type ApiDefinition, codecFor, isFlexible } from './codec/api'
import { KafkaProtocolError } from './codec/errors'
import { FRAME_SIZE_BYTES, writeFrameSize } from './codec/frame'
import {
  API_VERSIONS_KEY,
  type RequestHeader,
  type RequestHeaderVersion,
  type ResponseHeaderVersion,
  readRequestHeader,
  readResponseHeader,
  requestHeaderVersionFor,
  responseHeaderVersionFor,
  sizeOfRequestHeader,
  sizeOfResponseHeader,
  writeRequestHeader,
  writeResponseHeader,
} from './codec/headers'
import { Reader } from './codec/reader'
import type { MessageSpec } from './codec/schema'
import { type SizeContext, Writer } from './codec/writer'
import { type ApiKey, type RequestBodies, type RequestInput, type ResponseBodies, type ResponseInput, getApi } from './messages'

/*
 * The codec's public entry points. Decoders take a frame's payload (the bytes after the int32 size
 * prefix, as FrameDecoder yields them); encoders return whole frames, size prefix included, ready
 * for the socket. Bodies are checked completely: truncated input, trailing bytes and impossible
 * lengths are KafkaProtocolErrors (INVALID_REQUEST for requests, CORRUPT_MESSAGE for responses)
 * naming the field; a body that cannot be encoded is INVALID_ARGUMENT; an API key or version the
 * codec does not describe is UNSUPPORTED_VERSION.
 */

/** KafkaRequest is a decoded request: `switch (req.apiKey)` narrows `body` to that API's request. */
export type KafkaRequest = {
  [K in ApiKey]: { readonly apiKey: K; readonly apiVersion: number; readonly header: RequestHeader; readonly body: RequestBodies[K] }
}[ApiKey]

/** DecodedRequestHeader is a request header and where its body starts in the frame. */
export interface DecodedRequestHeader {
  header: RequestHeader
  /** Offset of the body in the frame. */
  bodyOffset: number
  /** The API's definition, or undefined for a key the codec does not know. */
  api: ApiDefinition | undefined
}

/** DecodedResponse is a decoded response: its correlation id and body. */
export interface DecodedResponse<K extends ApiKey> {
  correlationId: number
  body: ResponseBodies[K]
}

/** EncodeRequestHeader is what a client puts in a request header besides the API key and version. */
export interface EncodeRequestHeader {
  correlationId: number
  /** Sent as a nullable string; default null. */
  clientId?: string | null
}

/** ChunkOptions tune encodeRequestChunks and encodeResponseChunks. */
export interface ChunkOptions {
  /** RECORDS values of at least this many bytes become chunks of their own instead of being copied. Default 16 KiB. */
  chunkThresholdBytes?: number
}

const DEFAULT_CHUNK_THRESHOLD_BYTES = 16 * 1024
/** Kafka's UNSUPPORTED_VERSION (35). */
const UNSUPPORTED_VERSION_CODE = 35

/**
 * headerVersions picks the request and response header versions of an API version: request v2 /
 * response v1 for flexible versions, else v1 / v0, and response v0 for ApiVersions always.
 * @throws KafkaProtocolError UNSUPPORTED_VERSION for an API key the codec does not know.
 */
export function headerVersions(apiKey: number, apiVersion: number): { request: RequestHeaderVersion; response: ResponseHeaderVersion } {
  const api = getApi(apiKey)
  if (api === undefined) throw unsupported(apiKey, apiVersion)
  const flexible = isFlexible(api, apiVersion)
  return { request: requestHeaderVersionFor(flexible), response: responseHeaderVersionFor(apiKey, flexible) }
}

function supported(apiKey: number, apiVersion: number): ApiDefinition | undefined {
  const api = getApi(apiKey)
  return api !== undefined && apiVersion >= api.minVersion && apiVersion <= api.maxVersion ? api : undefined
}

function unsupported(apiKey: number, apiVersion: number, details: Record<string, unknown> = {}): KafkaProtocolError {
  const api = getApi(apiKey)
  const what = api ? `${api.name} v${apiVersion} (the codec knows v${api.minVersion}-${api.maxVersion})` : `API key ${apiKey}`
  return new KafkaProtocolError('UNSUPPORTED_VERSION', `unsupported ${what}`, { apiKey, apiVersion, ...details })
}

/**
 * decodeRequestHeader reads the header of a request frame, whatever its API: the server needs the
 * correlation id even to refuse a request (an unknown ApiVersions version gets a v0 answer). The
 * header version follows the API's flexible versions; for a key the codec does not know it reads
 * header v1 (the first four fields are the same in every version).
 * @throws KafkaProtocolError INVALID_REQUEST when the frame is too short for a header.
 */
export function decodeRequestHeader(frame: Buffer): DecodedRequestHeader {
  const r = new Reader(frame, 0, frame.length, 'INVALID_REQUEST')
  const apiKey = frame.length >= 2 ? frame.readInt16BE(0) : -1
  const apiVersion = frame.length >= 4 ? frame.readInt16BE(2) : -1
  const api = getApi(apiKey)
  const flexible = api !== undefined && isFlexible(api, apiVersion)
  const header = readRequestHeader(r, requestHeaderVersionFor(flexible))
  return { header, bodyOffset: r.pos, api }
}

/**
 * decodeRequest decodes a whole request frame payload (header and body).
 * @throws KafkaProtocolError UNSUPPORTED_VERSION for an API key or version the codec does not
 * describe (details carry apiKey, apiVersion, correlationId and clientId); INVALID_REQUEST for a
 * malformed, truncated or over-long body (details carry the field path and the header's ids).
 */
export function decodeRequest(frame: Buffer): KafkaRequest {
  const { header, bodyOffset } = decodeRequestHeader(frame)
  const { apiKey, apiVersion, correlationId, clientId } = header
  const api = supported(apiKey, apiVersion)
  if (api === undefined) throw unsupported(apiKey, apiVersion, { correlationId, clientId })
  const body = readBody(api.request, apiVersion, frame, bodyOffset, 'INVALID_REQUEST', { apiKey, apiVersion, correlationId })
  return { apiKey, apiVersion, header, body } as KafkaRequest
}

/**
 * decodeResponse decodes a response frame payload of `apiKey` at `apiVersion` (which the caller
 * knows from the request it sent with that correlation id). An ApiVersions response that does not
 * parse at the version asked for is read as v0: that is how a broker answers a version it does not
 * know (errorCode 35, UNSUPPORTED_VERSION, and its own range for ApiVersions).
 * @throws KafkaProtocolError CORRUPT_MESSAGE for a malformed, truncated or over-long response;
 * UNSUPPORTED_VERSION for an API or version the codec does not describe.
 */
export function decodeResponse<K extends ApiKey>(apiKey: K, apiVersion: number, frame: Buffer): DecodedResponse<K> {
  const api = supported(apiKey, apiVersion)
  if (api === undefined) throw unsupported(apiKey, apiVersion)
  const r = new Reader(frame, 0, frame.length, 'CORRUPT_MESSAGE')
  const correlationId = readResponseHeader(r, responseHeaderVersionFor(apiKey, isFlexible(api, apiVersion)))
  try {
    const body = readBody(api.response, apiVersion, frame, r.pos, 'CORRUPT_MESSAGE', { apiKey, apiVersion, correlationId })
    return { correlationId, body: body as ResponseBodies[K] }
  } catch (err) {
    // A broker that does not know the ApiVersions version asked for answers UNSUPPORTED_VERSION
    // with a v0 body (header v0 either way): read it as v0, as Kafka's own client does.
    if (apiKey !== API_VERSIONS_KEY || apiVersion === 0) throw err
    let body: { errorCode?: unknown }
    try {
      body = readBody(api.response, 0, frame, r.pos, 'CORRUPT_MESSAGE', { apiKey, apiVersion: 0, correlationId }) as { errorCode?: unknown }
    } catch {
      throw err
    }
    // Only that refusal is read this way: a truncated newer response must not pass for a v0 one.
    if (body.errorCode !== UNSUPPORTED_VERSION_CODE) throw err
    return { correlationId, body: body as ResponseBodies[K] }
  }
}

/**
 * readResponseCorrelationId reads the correlation id that starts every response frame, so a
 * client can find the request (and so the API and version) it answers.
 * @throws KafkaProtocolError CORRUPT_MESSAGE for a frame shorter than 4 bytes.
 */
export function readResponseCorrelationId(frame: Buffer): number {
  return new Reader(frame, 0, frame.length, 'CORRUPT_MESSAGE').int32('header.correlationId')
}

function readBody(
  spec: MessageSpec,
  version: number,
  frame: Buffer,
  offset: number,
  code: 'INVALID_REQUEST' | 'CORRUPT_MESSAGE',
  ids: Record<string, unknown>,
): unknown {
  const r = new Reader(frame, offset, frame.length, code)
  try {
    const body = codecFor(spec, version).read(r)
    if (r.pos !== r.end) throw r.fail('<body>', `${r.end - r.pos} unexpected bytes after the body`)
    return body
  } catch (err) {
    // Re-raise with the header's ids; anything that is not ours (a bug) still leaves as a typed error.
    const known = err instanceof KafkaProtocolError
    const message = known ? err.message : `cannot decode ${spec.name} v${version}: ${String(err)}`
    const details = known ? { ...err.details, ...ids } : { ...ids, offset: r.pos }
    throw new KafkaProtocolError(code, message.replace(/ \(at [^)]*\)$/, ''), details, err)
  }
}

/**
 * encodeRequest encodes a request frame (size prefix included). Fields left out of `body` are
 * written as their defaults; fields the version lacks are ignored.
 * @throws KafkaProtocolError UNSUPPORTED_VERSION for an API or version the codec does not describe;
 * INVALID_ARGUMENT for a value that does not fit its field (the message names the field).
 */
export function encodeRequest<K extends ApiKey>(apiKey: K, apiVersion: number, header: EncodeRequestHeader, body: RequestInput<K>): Buffer {
  const [w, total] = startRequest(apiKey, apiVersion, header, body, Number.POSITIVE_INFINITY)
  return finished(w, total)
}

/**
 * encodeRequestChunks is encodeRequest for a vectored write: RECORDS values of at least
 * `chunkThresholdBytes` (default 16 KiB) are passed through as their own chunks, not copied (a
 * Produce request of many MiB costs one small allocation). The first chunk holds the size prefix.
 */
export function encodeRequestChunks<K extends ApiKey>(
  apiKey: K,
  apiVersion: number,
  header: EncodeRequestHeader,
  body: RequestInput<K>,
  options: ChunkOptions = {},
): Buffer[] {
  const [w, total] = startRequest(apiKey, apiVersion, header, body, options.chunkThresholdBytes ?? DEFAULT_CHUNK_THRESHOLD_BYTES)
  return finishedChunks(w, total)
}

function startRequest(apiKey: ApiKey, apiVersion: number, header: EncodeRequestHeader, body: unknown, threshold: number): [Writer, number] {
  const api = supported(apiKey, apiVersion)
  if (api === undefined) throw unsupported(apiKey, apiVersion)
  const codec = codecFor(api.request, apiVersion)
  const headerVersion = requestHeaderVersionFor(isFlexible(api, apiVersion))
  const clientId = header.clientId ?? null
  const ctx: SizeContext = { chunkThresholdBytes: threshold, chunkedBytes: 0 }
  const size = sizeOfRequestHeader(clientId, headerVersion) + codec.size(body, ctx)
  const w = new Writer(Buffer.allocUnsafe(FRAME_SIZE_BYTES + size - ctx.chunkedBytes), FRAME_SIZE_BYTES, threshold)
  writeFrameSize(w.buf, 0, size)
  writeRequestHeader(w, { apiKey, apiVersion, correlationId: header.correlationId, clientId }, headerVersion)
  codec.write(w, body)
  return [w, FRAME_SIZE_BYTES + size]
}

/**
 * encodeResponse encodes a response frame (size prefix included) with the header version the API
 * version calls for (always v0 for ApiVersions).
 * @throws KafkaProtocolError UNSUPPORTED_VERSION or INVALID_ARGUMENT as encodeRequest.
 */
export function encodeResponse<K extends ApiKey>(apiKey: K, apiVersion: number, correlationId: number, body: ResponseInput<K>): Buffer {
  const [w, total] = startResponse(apiKey, apiVersion, correlationId, body, Number.POSITIVE_INFINITY)
  return finished(w, total)
}

/**
 * encodeResponseChunks encodes a response frame as a list of buffers for a vectored write
 * (`socket.cork()`, one `write` each, `uncork()`): RECORDS values of at least
 * `chunkThresholdBytes` are passed through as their own chunks, not copied. The first chunk holds
 * the size prefix. A Fetch response of many MiB then costs one small allocation.
 */
export function encodeResponseChunks<K extends ApiKey>(
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  body: ResponseInput<K>,
  options: ChunkOptions = {},
): Buffer[] {
  const [w, total] = startResponse(apiKey, apiVersion, correlationId, body, options.chunkThresholdBytes ?? DEFAULT_CHUNK_THRESHOLD_BYTES)
  return finishedChunks(w, total)
}

function startResponse(apiKey: ApiKey, apiVersion: number, correlationId: number, body: unknown, threshold: number): [Writer, number] {
  const api = supported(apiKey, apiVersion)
  if (api === undefined) throw unsupported(apiKey, apiVersion)
  const codec = codecFor(api.response, apiVersion)
  const headerVersion = responseHeaderVersionFor(apiKey, isFlexible(api, apiVersion))
  const ctx: SizeContext = { chunkThresholdBytes: threshold, chunkedBytes: 0 }
  const size = sizeOfResponseHeader(headerVersion) + codec.size(body, ctx)
  const w = new Writer(Buffer.allocUnsafe(FRAME_SIZE_BYTES + size - ctx.chunkedBytes), FRAME_SIZE_BYTES, threshold)
  writeFrameSize(w.buf, 0, size)
  writeResponseHeader(w, correlationId, headerVersion)
  codec.write(w, body)
  return [w, FRAME_SIZE_BYTES + size]
}

function finishedChunks(w: Writer, total: number): Buffer[] {
  const chunks = w.finish()
  let written = 0
  for (const c of chunks) written += c.length
  if (written !== total) throw new InvariantError(`encoder wrote ${written} bytes of a ${total}-byte frame`)
  return chunks
}

function finished(w: Writer, total: number): Buffer {
  // The size pass and the write pass are generated from one description; a mismatch is a codec bug.
  if (w.pos !== total) throw new InvariantError(`encoder wrote ${w.pos} bytes of a ${total}-byte frame`)
  return w.buf
}

/*
 * The form in which every Kafka message is described: a list of fields per message, each with the
 * versions it exists in, mirroring the vocabulary of Kafka's JSON message schemas (`versions`,
 * `nullableVersions`, `taggedVersions`, `tag`, `default`, `validVersions`, `flexibleVersions`)
 * so a description can be checked against its schema line by line.
 *
 * Descriptions are plain frozen data built with the `f.*` helpers below. The helpers keep each
 * field's name, kind and nullability as literal types, so `BodyOf<typeof SomeRequest>` derives the
 * TypeScript type of a decoded body from the very description the codec runs on: the types cannot
 * drift from the wire format.
 */

/** ScalarKind is every field kind that is not an array or a struct. */
export type ScalarKind =
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint16'
  | 'uint32'
  | 'float64'
  | 'bool'
  | 'uuid'
  | 'string'
  | 'bytes'
  | 'records'

/** VersionSpec is a version range in Kafka's notation: `"3+"`, `"0-4"`, `"5"` or `"none"`. */
export type VersionSpec = string

/** A field's default: a number, boolean, string or null (arrays and structs default to empty). */
export type DefaultValue = number | boolean | string | null

/** FieldOptions are the optional attributes of a field, named as in Kafka's schemas. */
export interface FieldOptions {
  /** Versions in which the field may be null (strings, bytes, records, arrays). */
  readonly nullableVersions?: VersionSpec
  /** Versions in which the field travels in the tagged-fields section instead of in line. */
  readonly taggedVersions?: VersionSpec
  /** The field's tag number (required with `taggedVersions`). */
  readonly tag?: number
  /** The value a decoder fills in when the field is absent, and that a tagged field is not written for. */
  readonly default?: DefaultValue
}

/** FieldBase is what every field description has. */
export interface FieldBase extends FieldOptions {
  /** camelCase of Kafka's field name. */
  readonly name: string
  /** Versions in which the field exists. */
  readonly versions: VersionSpec
}

/** ScalarField is an int, bool, uuid, string, bytes or records field. */
export interface ScalarField extends FieldBase {
  readonly kind: ScalarKind
}

/** ArrayField is an array of scalars (`[]int32`) or of structs (`[]TopicData`). */
export interface ArrayField extends FieldBase {
  readonly kind: 'array'
  /** The element kind for an array of scalars, or the element struct's fields. */
  readonly element: ScalarKind | readonly Field[]
}

/** StructField is a single nested struct (Kafka's non-array struct type). */
export interface StructField extends FieldBase {
  readonly kind: 'struct'
  readonly fields: readonly Field[]
}

/** Field is one field of a message or struct. */
export type Field = ScalarField | ArrayField | StructField

/**
 * FieldLike is the least a field description is, used as the constraint of the builders' type
 * parameters: a richer constraint (such as Field, whose `element` is a union) becomes a contextual
 * type from which TypeScript infers const type parameters intersected with that union, which would
 * spoil BodyOf. The builders still return values assignable to Field.
 */
export interface FieldLike {
  readonly name: string
  readonly kind: string
  readonly versions: VersionSpec
}

/** MessageSpec describes one request or response body (or a header). */
export interface MessageSpec<Fs extends readonly FieldLike[] = readonly Field[]> {
  /** Kafka's message name, e.g. `ProduceRequest`. */
  readonly name: string
  readonly apiKey: number
  readonly type: 'request' | 'response'
  /** Every version the codec can read and write, e.g. `"0-11"`. */
  readonly validVersions: VersionSpec
  /** The versions that use compact types and tagged fields, e.g. `"9+"` or `"none"`. */
  readonly flexibleVersions: VersionSpec
  /** True when the highest valid version is not yet stable in Kafka (not to be advertised). */
  readonly latestVersionUnstable?: boolean
  readonly fields: Fs
}

type Opts = FieldOptions
type NoOptions = Record<never, never>

function scalar<K extends ScalarKind>(kind: K) {
  return <const N extends string, const O extends Opts = NoOptions>(name: N, versions: VersionSpec, options?: O) =>
    Object.freeze({ name, kind, versions, ...options }) as { readonly name: N; readonly kind: K; readonly versions: VersionSpec } & O
}

type ArrayOf<N extends string, E, O> = {
  readonly name: N
  readonly kind: 'array'
  readonly versions: VersionSpec
  readonly element: E
} & O

// Two overloads rather than one parameter constrained by a union, for the reason given at FieldLike.
function arrayField<const N extends string, const E extends ScalarKind, const O extends Opts = NoOptions>(
  name: N,
  versions: VersionSpec,
  element: E,
  options?: O,
): ArrayOf<N, E, O>
function arrayField<const N extends string, const E extends readonly FieldLike[], const O extends Opts = NoOptions>(
  name: N,
  versions: VersionSpec,
  element: E,
  options?: O,
): ArrayOf<N, E, O>
function arrayField(name: string, versions: VersionSpec, element: ScalarKind | readonly Field[], options?: Opts): ArrayField {
  return Object.freeze({ name, kind: 'array' as const, versions, element, ...options })
}

/**
 * f builds field descriptions: `f.int32('partitionIndex', '0+')`,
 * `f.string('transactionalId', '3+', { nullableVersions: '3+', default: null })`,
 * `f.array('topics', '0+', [ ...fields ])`, `f.array('replicaNodes', '0+', 'int32')`.
 */
export const f = {
  int8: scalar('int8'),
  int16: scalar('int16'),
  int32: scalar('int32'),
  int64: scalar('int64'),
  uint16: scalar('uint16'),
  uint32: scalar('uint32'),
  float64: scalar('float64'),
  bool: scalar('bool'),
  uuid: scalar('uuid'),
  string: scalar('string'),
  bytes: scalar('bytes'),
  records: scalar('records'),
  array: arrayField,
  struct<const N extends string, const Fs extends readonly FieldLike[], const O extends Opts = NoOptions>(
    name: N,
    versions: VersionSpec,
    fields: Fs,
    options?: O,
  ) {
    return Object.freeze({ name, kind: 'struct' as const, versions, fields, ...options }) as {
      readonly name: N
      readonly kind: 'struct'
      readonly versions: VersionSpec
      readonly fields: Fs
    } & O
  },
}

/** message freezes a message description and keeps its field types literal. */
export function message<const Fs extends readonly FieldLike[]>(spec: MessageSpec<Fs>): MessageSpec<Fs> {
  return Object.freeze(spec)
}

// ---- Type-level mapping from descriptions to body types ----

/** ScalarValue is the JavaScript type a scalar kind decodes to. */
export type ScalarValue<K extends ScalarKind> = K extends 'bool'
  ? boolean
  : K extends 'string' | 'uuid'
    ? string
    : K extends 'bytes' | 'records'
      ? Buffer
      : number

type NullIn<F> = F extends { readonly nullableVersions: string } ? null : never

type ValueOf<F> = F extends { readonly kind: 'array'; readonly element: infer E }
  ? (E extends ScalarKind ? ScalarValue<E>[] : E extends readonly FieldLike[] ? StructOf<E>[] : never) | NullIn<F>
  : F extends { readonly kind: 'struct'; readonly fields: infer Fs extends readonly FieldLike[] }
    ? StructOf<Fs>
    : F extends { readonly kind: infer K extends ScalarKind }
      ? ScalarValue<K> | NullIn<F>
      : never

/** StructOf is the decoded type of a list of fields: every field present, whatever the version. */
export type StructOf<Fs extends readonly FieldLike[]> = { [F in Fs[number] as F['name']]: ValueOf<F> }

/**
 * BodyOf is the decoded body of a message description. A decoded body has every field of every
 * version: a field the decoded version lacks holds its default, as in Kafka's generated classes.
 */
export type BodyOf<M extends { readonly fields: readonly FieldLike[] }> = StructOf<M['fields']>

/**
 * InputOf is what the encoder accepts for a body: any field may be left out (it is written as its
 * default), at every depth. Fields the target version lacks are ignored.
 */
export type InputOf<T> = T extends Buffer
  ? T
  : T extends readonly (infer E)[]
    ? InputOf<E>[]
    : T extends object
      ? { [K in keyof T]?: InputOf<T[K]> }
      : T

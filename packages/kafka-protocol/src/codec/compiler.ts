import { InvariantError } from '@tributary/core/internal'
import { KafkaProtocolError } from './errors'
import type { Reader } from './reader'
import type { ArrayField, DefaultValue, Field, MessageSpec, ScalarKind } from './schema'
import { ZERO_UUID } from './uuid'
import { inVersions } from './versions'
import { type SizeContext, type Writer, sizeOfBytes, sizeOfString, sizeOfUvarint } from './writer'

/*
 * The compiler turns one (message, version) description into three straight-line JavaScript
 * functions, generated once and cached: `read` (bytes → body), `size` (body → exact encoded size)
 * and `write` (body → bytes). The generated code has no loop over field descriptions and no name
 * lookups at run time: each field is one call on the Reader/Writer with its path as a constant,
 * and each decoded struct is one object literal with its fields in description order, so every
 * body of a kind shares one hidden class.
 *
 * A field the version lacks decodes as its default; a tagged field is written only when it differs
 * from its default; unknown tags are skipped. Field names are checked to be identifiers before they
 * go into generated source, and every other constant goes in through JSON.stringify.
 */

/** CompiledMessage is the generated codec of one message at one version. */
export interface CompiledMessage {
  /** read decodes a body from the reader's position (advancing it). */
  read(r: Reader): unknown
  /** size returns the exact encoded size of `body`, checking shapes on the way. */
  size(body: unknown, ctx: SizeContext): number
  /** write encodes `body` at the writer's position. */
  write(w: Writer, body: unknown): void
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/
const FIXED_SIZES: Partial<Record<ScalarKind, number>> = {
  int8: 1,
  int16: 2,
  int32: 4,
  int64: 8,
  uint16: 2,
  uint32: 4,
  float64: 8,
  bool: 1,
  uuid: 16,
}

const EMPTY_ARRAY: readonly unknown[] = Object.freeze([])
const EMPTY_STRUCT = Object.freeze({})
const EMPTY_BYTES = Buffer.alloc(0)
const NO_CHUNKS: SizeContext = Object.freeze({ chunkThresholdBytes: Number.POSITIVE_INFINITY, chunkedBytes: 0 })

/** Helpers handed to the generated code as `H`. */
const helpers = {
  uv: sizeOfUvarint,
  str: sizeOfString,
  bytes: sizeOfBytes,
  rec(v: Uint8Array | null, compact: boolean, c: SizeContext): number {
    if (v instanceof Uint8Array && v.length >= c.chunkThresholdBytes) c.chunkedBytes += v.length
    return sizeOfBytes(v, compact)
  },
  bad(path: string, what: string, value: unknown): KafkaProtocolError {
    return new KafkaProtocolError('INVALID_ARGUMENT', `cannot encode ${String(value)} as ${what}`, { path })
  },
  E: EMPTY_STRUCT,
  EA: EMPTY_ARRAY,
  EB: EMPTY_BYTES,
  NC: NO_CHUNKS,
}

/** compileMessage generates the codec of `spec` at `version` (the caller caches it). */
export function compileMessage(spec: MessageSpec, version: number): CompiledMessage {
  // The plan is generated from our own descriptions only: names are checked to be identifiers.
  return new Function('H', generateSource(spec, version))(helpers) as CompiledMessage
}

/**
 * generateSource returns the JavaScript that compileMessage runs for `spec` at `version`: useful
 * to read what the codec does for one message (`console.log(generateSource(FetchResponseSchema, 12))`).
 */
export function generateSource(spec: MessageSpec, version: number): string {
  const gen = new Generator(version, inVersions(spec.flexibleVersions, version))
  const root = gen.structFor(spec.fields, '')
  return `'use strict';\n${gen.out.join('\n')}\nreturn { read: r${root}, size: s${root}, write: w${root} };`
}

/** defaultValueOf returns a fresh default value of `field` (what a decoder fills in when it is absent). */
export function defaultValueOf(field: Field): unknown {
  if (field.kind === 'struct') return defaultStruct(field.fields)
  if (field.kind === 'array') return field.default === null ? null : []
  if (field.default !== undefined) return field.default
  return scalarDefault(field.kind)
}

/** defaultStruct returns a struct of `fields`, each at its default. */
export function defaultStruct(fields: readonly Field[]): Record<string, unknown> {
  const o: Record<string, unknown> = {}
  for (const fd of fields) o[fd.name] = defaultValueOf(fd)
  return o
}

function scalarDefault(kind: ScalarKind): unknown {
  switch (kind) {
    case 'bool':
      return false
    case 'string':
      return ''
    case 'uuid':
      return ZERO_UUID
    case 'bytes':
      return EMPTY_BYTES
    case 'records':
      return null
    default:
      return 0
  }
}

class Generator {
  readonly out: string[] = []
  private next = 0

  constructor(
    private readonly version: number,
    private readonly flexible: boolean,
  ) {}

  private id(): number {
    return this.next++
  }

  private present(fd: Field): boolean {
    return inVersions(fd.versions, this.version)
  }

  private tagged(fd: Field): boolean {
    return this.flexible && inVersions(fd.taggedVersions, this.version)
  }

  private nullable(fd: Field): boolean {
    return inVersions(fd.nullableVersions, this.version)
  }

  private readonly structs = new Map<string, number>()

  /** structFor returns the number of the r/s/w/z functions of the struct at `prefix`, generating them once. */
  structFor(fields: readonly Field[], prefix: string): number {
    let n = this.structs.get(prefix)
    if (n === undefined) {
      n = this.id()
      this.structs.set(prefix, n)
      this.struct(n, fields, prefix)
    }
    return n
  }

  /** struct generates the r/s/w/z functions number `n` for a struct of `fields`. */
  private struct(n: number, fields: readonly Field[], prefix: string): void {
    for (const fd of fields) {
      if (!IDENTIFIER.test(fd.name)) throw new InvariantError(`field name ${JSON.stringify(fd.name)} is not an identifier`)
      if (fd.taggedVersions !== undefined && fd.tag === undefined) throw new InvariantError(`tagged field ${fd.name} has no tag`)
    }
    const inline = fields.filter((fd) => this.present(fd) && !this.tagged(fd))
    const tagged = fields.filter((fd) => this.present(fd) && this.tagged(fd)).sort((a, b) => a.tag! - b.tag!)
    const path = (fd: Field) => `${prefix}${fd.name}`
    const tagsPath = JSON.stringify(`${prefix}<tagged fields>`)

    // read
    const r: string[] = [`function r${n}(r) {`]
    inline.forEach((fd, i) => r.push(`const x${i} = ${this.readExpr(fd, path(fd))};`))
    tagged.forEach((fd, i) => r.push(`let t${i} = ${this.decodedDefault(fd)};`))
    if (this.flexible && tagged.length === 0) {
      // Nothing known to read: an empty section (the usual 0x00) is one byte, anything else is skipped.
      r.push(`if (r.pos < r.end && r.buf[r.pos] === 0) r.pos++; else r.skipTaggedFields(${tagsPath});`)
    } else if (this.flexible) {
      r.push(`for (let k = r.uvarint(${tagsPath}); k > 0; k--) {`)
      r.push(`const tag = r.uvarint(${tagsPath}); const sz = r.uvarint(${tagsPath});`)
      r.push(`if (sz > r.end - r.pos) throw r.fail(${tagsPath}, 'tagged field ' + tag + ' runs past the end');`)
      r.push('const st = r.pos;', 'switch (tag) {')
      tagged.forEach((fd, i) => r.push(`case ${fd.tag}: t${i} = ${this.readExpr(fd, path(fd))}; break;`))
      r.push('default: r.pos = st + sz; continue; }')
      r.push(`if (r.pos !== st + sz) throw r.fail(${tagsPath}, 'tagged field ' + tag + ' has the wrong size');`, '}')
    }
    const props = fields.map((fd) => {
      const i = inline.indexOf(fd)
      const t = tagged.indexOf(fd)
      return `${fd.name}: ${i >= 0 ? `x${i}` : t >= 0 ? `t${t}` : this.decodedDefault(fd)}`
    })
    r.push(`return { ${props.join(', ')} };`, '}')
    this.out.push(r.join('\n'))

    // size
    // An empty tagged-fields section is one byte (0x00): counted as fixed when nothing is tagged.
    const emptyTags = this.flexible && tagged.length === 0 ? 1 : 0
    const fixed = inline.reduce((sum, fd) => sum + (FIXED_SIZES[fd.kind as ScalarKind] ?? 0), emptyTags)
    const s: string[] = [`function s${n}(o, c) {`]
    s.push(`if (o === null || typeof o !== 'object') throw H.bad(${JSON.stringify(prefix || '<body>')}, 'a struct', o);`)
    s.push(`let n = ${fixed}; let v;`)
    for (const fd of inline) {
      if (FIXED_SIZES[fd.kind as ScalarKind] !== undefined) continue
      s.push(`v = o.${fd.name}; if (v === undefined) v = ${this.inputDefault(fd)};`)
      s.push(`n += ${this.sizeExpr(fd, path(fd), 'v', 'c')};`)
    }
    if (this.flexible && tagged.length > 0) {
      s.push('let tc = 0;')
      for (const fd of tagged) {
        s.push(`v = o.${fd.name}; if (v === undefined) v = ${this.inputDefault(fd)};`)
        s.push(
          `if (!(${this.isDefaultExpr(fd, path(fd), 'v')})) { const z = ${this.sizeExpr(fd, path(fd), 'v', 'c')}; tc++; n += ${sizeOfUvarint(fd.tag!)} + H.uv(z) + z; }`,
        )
      }
      s.push('n += H.uv(tc);')
    }
    s.push('return n;', '}')
    this.out.push(s.join('\n'))

    // write
    const w: string[] = [`function w${n}(w, o) {`, 'let v;']
    for (const fd of inline) {
      w.push(`v = o.${fd.name}; if (v === undefined) v = ${this.inputDefault(fd)};`)
      w.push(`${this.writeStmt(fd, path(fd), 'v')};`)
    }
    if (this.flexible && tagged.length === 0) w.push('w.buf[w.pos++] = 0;')
    else if (this.flexible) {
      w.push('let tc = 0;')
      for (const fd of tagged) {
        w.push(`v = o.${fd.name}; if (v !== undefined && !(${this.isDefaultExpr(fd, path(fd), 'v')})) tc++;`)
      }
      w.push('w.uvarint(tc);')
      for (const fd of tagged) {
        w.push(`v = o.${fd.name};`)
        w.push(
          `if (v !== undefined && !(${this.isDefaultExpr(fd, path(fd), 'v')})) { w.uvarint(${fd.tag}); w.uvarint(${this.sizeExpr(fd, path(fd), 'v', 'H.NC')}); ${this.writeStmt(fd, path(fd), 'v')}; }`,
        )
      }
    }
    w.push('}')
    this.out.push(w.join('\n'))

    // is-default (for tagged structs)
    const z: string[] = [`function z${n}(o) {`, 'let v;']
    for (const fd of fields) {
      if (!this.present(fd)) continue
      z.push(`v = o.${fd.name}; if (v !== undefined && !(${this.isDefaultExpr(fd, path(fd), 'v')})) return false;`)
    }
    z.push('return true;', '}')
    this.out.push(z.join('\n'))
  }

  // ---- reading ----

  private readExpr(fd: Field, path: string): string {
    const p = JSON.stringify(path)
    if (fd.kind === 'struct') {
      if (fd.nullableVersions !== undefined) throw new InvariantError(`nullable struct ${fd.name} is not supported`)
      return `r${this.structFor(fd.fields, `${path}.`)}(r)`
    }
    if (fd.kind === 'array') return `a${this.arrayReader(fd, path)}(r)`
    return this.scalarRead(fd.kind, this.nullable(fd), p)
  }

  private scalarRead(kind: ScalarKind, nullable: boolean, p: string): string {
    const c = this.flexible
    switch (kind) {
      case 'string':
        return `r.${nullable ? 'n' : ''}${c ? 'c' : ''}string(${p})`
      case 'bytes':
      case 'records':
        return `r.${nullable ? 'n' : ''}${c ? 'c' : ''}bytes(${p})`
      default:
        return `r.${kind}(${p})`
    }
  }

  private arrayReader(fd: ArrayField, path: string): number {
    const n = this.id()
    const p = JSON.stringify(path)
    const el = fd.element
    let elem: string
    let min: number
    if (typeof el === 'string') {
      elem = this.scalarRead(el, false, JSON.stringify(`${path}[]`))
      min = this.minSize(el)
    } else {
      elem = `r${this.structFor(el, `${path}[].`)}(r)`
      min = this.minStructSize(el)
    }
    const len = this.flexible ? 'compactArrayLength' : 'arrayLength'
    const onNull = this.nullable(fd) ? 'return null;' : `throw r.fail(${p}, 'null in a non-nullable field');`
    this.out.push(
      [
        `function a${n}(r) {`,
        `const n = r.${len}(${p}, ${min});`,
        `if (n < 0) ${onNull}`,
        'const out = [];',
        `for (let i = 0; i < n; i++) out.push(${elem});`,
        'return out;',
        '}',
      ].join('\n'),
    )
    return n
  }

  private minSize(kind: ScalarKind): number {
    const fixed = FIXED_SIZES[kind]
    if (fixed !== undefined) return fixed
    if (this.flexible) return 1
    return kind === 'string' ? 2 : 4
  }

  private minStructSize(fields: readonly Field[]): number {
    let n = this.flexible ? 1 : 0
    for (const fd of fields) {
      if (!this.present(fd) || this.tagged(fd)) continue
      if (fd.kind === 'struct') n += this.minStructSize(fd.fields)
      else if (fd.kind === 'array') n += this.flexible ? 1 : 4
      else n += this.minSize(fd.kind)
    }
    return n
  }

  /** decodedDefault is the JS expression for a field's default in a decoded body (fresh objects). */
  private decodedDefault(fd: Field): string {
    if (fd.kind === 'struct') return `d${this.defaultFn(fd.fields)}()`
    if (fd.kind === 'array') return fd.default === null ? 'null' : '[]'
    if (fd.default !== undefined) return literal(fd.default)
    if (fd.kind === 'bytes') return 'H.EB'
    return literal(scalarDefault(fd.kind) as DefaultValue)
  }

  /** inputDefault is the JS expression standing for a field left out of a body to encode. */
  private inputDefault(fd: Field): string {
    if (fd.kind === 'struct') return 'H.E'
    if (fd.kind === 'array') return fd.default === null ? 'null' : 'H.EA'
    if (fd.default !== undefined) return literal(fd.default)
    if (fd.kind === 'bytes') return 'H.EB'
    return literal(scalarDefault(fd.kind) as DefaultValue)
  }

  private readonly defaults = new Map<readonly Field[], number>()

  /** defaultFn generates `dN()`, which returns a fresh struct of `fields` at their defaults. */
  private defaultFn(fields: readonly Field[]): number {
    let n = this.defaults.get(fields)
    if (n === undefined) {
      n = this.id()
      this.defaults.set(fields, n)
      const props = fields.map((fd) => `${fd.name}: ${this.decodedDefault(fd)}`)
      this.out.push(`function d${n}() { return { ${props.join(', ')} }; }`)
    }
    return n
  }

  // ---- sizing and writing ----

  private sizeExpr(fd: Field, path: string, v: string, ctx: string): string {
    if (fd.kind === 'struct') return `s${this.structFor(fd.fields, `${path}.`)}(${v}, ${ctx})`
    if (fd.kind === 'array') return `sa${this.arraySizer(fd, path)}(${v}, ${ctx})`
    return this.scalarSize(fd.kind, v, ctx)
  }

  private scalarSize(kind: ScalarKind, v: string, ctx: string): string {
    const fixed = FIXED_SIZES[kind]
    if (fixed !== undefined) return String(fixed)
    if (kind === 'string') return `H.str(${v}, ${this.flexible})`
    if (kind === 'records') return `H.rec(${v}, ${this.flexible}, ${ctx})`
    return `H.bytes(${v}, ${this.flexible})`
  }

  private writeStmt(fd: Field, path: string, v: string): string {
    const p = JSON.stringify(path)
    if (fd.kind === 'struct') return `w${this.structFor(fd.fields, `${path}.`)}(w, ${v})`
    if (fd.kind === 'array') return `wa${this.arrayWriter(fd, path)}(w, ${v})`
    return this.scalarWrite(fd.kind, this.nullable(fd), v, p)
  }

  private scalarWrite(kind: ScalarKind, nullable: boolean, v: string, p: string): string {
    const c = this.flexible ? 'c' : ''
    if (kind === 'string') return `w.${c}string(${v}, ${nullable}, ${p})`
    if (kind === 'bytes' || kind === 'records') return `w.${c}bytes(${v}, ${nullable}, ${p})`
    return `w.${kind}(${v}, ${p})`
  }

  private readonly arrays = new Map<string, number>()

  private arraySizer(fd: ArrayField, path: string): number {
    const key = `s:${path}`
    const known = this.arrays.get(key)
    if (known !== undefined) return known
    const n = this.id()
    this.arrays.set(key, n)
    const p = JSON.stringify(path)
    const el = fd.element
    const prefix = this.flexible ? 'H.uv(v.length + 1)' : '4'
    let body: string
    if (typeof el === 'string' && FIXED_SIZES[el] !== undefined) body = `n += v.length * ${FIXED_SIZES[el]};`
    else if (typeof el === 'string') body = `for (let i = 0; i < v.length; i++) n += ${this.scalarSize(el, 'v[i]', 'c')};`
    else body = `for (let i = 0; i < v.length; i++) n += s${this.structFor(el, `${path}[].`)}(v[i], c);`
    this.out.push(
      [
        `function sa${n}(v, c) {`,
        `if (v === null) return ${this.flexible ? 1 : 4};`,
        `if (!Array.isArray(v)) throw H.bad(${p}, 'an array', v);`,
        `let n = ${prefix};`,
        body,
        'return n;',
        '}',
      ].join('\n'),
    )
    return n
  }

  private arrayWriter(fd: ArrayField, path: string): number {
    const key = `w:${path}`
    const known = this.arrays.get(key)
    if (known !== undefined) return known
    const n = this.id()
    this.arrays.set(key, n)
    const p = JSON.stringify(path)
    const el = fd.element
    const len = this.flexible ? 'compactArrayLength' : 'arrayLength'
    const elem =
      typeof el === 'string'
        ? this.scalarWrite(el, false, 'v[i]', JSON.stringify(`${path}[]`))
        : `w${this.structFor(el, `${path}[].`)}(w, v[i])`
    const onNull = this.nullable(fd) ? `{ w.${len}(-1); return; }` : `throw H.bad(${p}, 'a non-nullable array', v);`
    this.out.push(
      [
        `function wa${n}(w, v) {`,
        `if (v === null) ${onNull}`,
        `w.${len}(v.length);`,
        `for (let i = 0; i < v.length; i++) ${elem};`,
        '}',
      ].join('\n'),
    )
    return n
  }

  private isDefaultExpr(fd: Field, path: string, v: string): string {
    if (fd.kind === 'struct') return `z${this.structFor(fd.fields, `${path}.`)}(${v})`
    if (fd.kind === 'array' || fd.kind === 'bytes' || fd.kind === 'records') {
      const dflt = fd.kind === 'records' || fd.default === null ? null : 'empty'
      return dflt === null ? `${v} === null` : `(${v} !== null && ${v}.length === 0)`
    }
    const d = fd.default !== undefined ? fd.default : (scalarDefault(fd.kind) as DefaultValue)
    return `${v} === ${literal(d)}`
  }
}

function literal(v: DefaultValue): string {
  return v === null ? 'null' : JSON.stringify(v)
}

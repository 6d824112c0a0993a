// Minimal JSON text ⇄ Value. Parsing is iterative over a string with explicit
// depth limit; it never traps: the first error (offset into the text) is kept.
import { Value, V_NULL, V_NUM, V_STR, V_OBJ, V_ARR, V_BOOL } from './value';
import { CodecError, E_JSON_SYNTAX } from './errors';

const MAX_DEPTH = 32;

class Parser {
  i: i32 = 0;
  constructor(public s: string, public err: CodecError) {}

  fail(what: string): Value {
    this.err.set(E_JSON_SYNTAX, <u32>this.i, what);
    return new Value();
  }
  ws(): void {
    while (this.i < this.s.length) {
      const c = this.s.charCodeAt(this.i);
      if (c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09) this.i++; else break;
    }
  }
  peek(): i32 { return this.i < this.s.length ? <i32>this.s.charCodeAt(this.i) : -1; }

  value(depth: i32): Value {
    if (this.err.failed) return new Value();
    if (depth > MAX_DEPTH) return this.fail('nesting too deep');
    this.ws();
    const at = <u32>this.i;
    const c = this.peek();
    let v: Value;
    if (c == 0x7b) v = this.object(depth);
    else if (c == 0x5b) v = this.array(depth);
    else if (c == 0x22) { const s = this.string(); v = Value.s(s); }
    else if (c == 0x2d || (c >= 0x30 && c <= 0x39)) v = this.number();
    else if (this.word('true')) { v = new Value(); v.kind = V_BOOL; v.num = 1; }
    else if (this.word('false')) { v = new Value(); v.kind = V_BOOL; }
    else if (this.word('null')) v = new Value();
    else return this.fail('unexpected character');
    v.at = at;
    return v;
  }
  word(w: string): bool {
    if (this.s.substr(this.i, w.length) == w) { this.i += w.length; return true; }
    return false;
  }
  object(depth: i32): Value {
    const o = Value.obj();
    this.i++;
    this.ws();
    if (this.peek() == 0x7d) { this.i++; return o; }
    while (!this.err.failed) {
      this.ws();
      if (this.peek() != 0x22) return this.fail('expected a key');
      const k = this.string();
      this.ws();
      if (this.peek() != 0x3a) return this.fail('expected :');
      this.i++;
      o.set(k, this.value(depth + 1));
      this.ws();
      const c = this.peek();
      if (c == 0x2c) { this.i++; continue; }
      if (c == 0x7d) { this.i++; return o; }
      return this.fail('expected , or }');
    }
    return o;
  }
  array(depth: i32): Value {
    const a = Value.arr();
    this.i++;
    this.ws();
    if (this.peek() == 0x5d) { this.i++; return a; }
    while (!this.err.failed) {
      a.push(this.value(depth + 1));
      this.ws();
      const c = this.peek();
      if (c == 0x2c) { this.i++; continue; }
      if (c == 0x5d) { this.i++; return a; }
      return this.fail('expected , or ]');
    }
    return a;
  }
  string(): string {
    this.i++;
    let out = '';
    let from = this.i;
    while (true) {
      if (this.i >= this.s.length) { this.fail('unterminated string'); return ''; }
      const c = this.s.charCodeAt(this.i);
      if (c == 0x22) { out += this.s.substring(from, this.i); this.i++; return out; }
      if (c < 0x20) { this.fail('control character in string'); return ''; }
      if (c != 0x5c) { this.i++; continue; }
      out += this.s.substring(from, this.i);
      this.i++;
      const e = this.peek();
      this.i++;
      if (e == 0x22) out += '"';
      else if (e == 0x5c) out += '\\';
      else if (e == 0x2f) out += '/';
      else if (e == 0x62) out += '\b';
      else if (e == 0x66) out += '\f';
      else if (e == 0x6e) out += '\n';
      else if (e == 0x72) out += '\r';
      else if (e == 0x74) out += '\t';
      else if (e == 0x75) {
        let cp: i32 = 0;
        for (let j = 0; j < 4; j++) {
          const h = this.peek();
          let d: i32 = -1;
          if (h >= 0x30 && h <= 0x39) d = h - 0x30;
          else if ((h | 0x20) >= 0x61 && (h | 0x20) <= 0x66) d = (h | 0x20) - 0x61 + 10;
          if (d < 0) { this.fail('bad \\u escape'); return ''; }
          cp = cp * 16 + d;
          this.i++;
        }
        out += String.fromCharCode(cp);
      } else { this.fail('bad escape'); return ''; }
      from = this.i;
    }
  }
  number(): Value {
    const v = Value.u(0, false);
    if (this.peek() == 0x2d) { v.neg = true; this.i++; }
    let n = 0;
    while (this.peek() >= 0x30 && this.peek() <= 0x39) {
      const d = <u64>(this.peek() - 0x30);
      if (v.num > (<u64>-1 - d) / 10) return this.fail('integer too large');
      v.num = v.num * 10 + d;
      this.i++;
      n++;
    }
    if (n == 0) return this.fail('expected digits');
    const c = this.peek();
    if (c == 0x2e || c == 0x65 || c == 0x45) return this.fail('only integers are supported');
    return v;
  }
}

/** Parses JSON text; on failure err is set and the result is meaningless. */
export function parseJson(text: string, err: CodecError): Value {
  const p = new Parser(text, err);
  const v = p.value(0);
  p.ws();
  if (!err.failed && p.i != text.length) p.fail('text after the JSON value');
  return v;
}

function quote(s: string): string {
  let out = '"';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c != 0x22 && c != 0x5c) continue;
    out += s.substring(from, i);
    if (c == 0x22) out += '\\"';
    else if (c == 0x5c) out += '\\\\';
    else if (c == 0x0a) out += '\\n';
    else if (c == 0x0d) out += '\\r';
    else if (c == 0x09) out += '\\t';
    else {
      const h = c.toString(16);
      out += '\\u' + '0000'.substr(0, 4 - h.length) + h;
    }
    from = i + 1;
  }
  return out + s.substring(from) + '"';
}

/** Compact JSON text; big numbers become "<decimal>n" strings. */
export function stringify(v: Value): string {
  const parts = new Array<string>();
  emit(v, parts);
  return parts.join('');
}

function emit(v: Value, out: Array<string>): void {
  if (v.kind == V_NULL) out.push('null');
  else if (v.kind == V_BOOL) out.push(v.num ? 'true' : 'false');
  else if (v.kind == V_NUM) {
    const digits = (v.neg ? '-' : '') + v.num.toString();
    out.push(v.big ? '"' + digits + 'n"' : digits);
  } else if (v.kind == V_STR) out.push(quote(v.str));
  else if (v.kind == V_ARR) {
    out.push('[');
    for (let i = 0; i < v.length; i++) { if (i) out.push(','); emit(v.item(i), out); }
    out.push(']');
  } else {
    out.push('{');
    const keys = v.keys as Array<string>;
    for (let i = 0; i < keys.length; i++) {
      if (i) out.push(',');
      out.push(quote(keys[i]));
      out.push(':');
      emit(v.item(i), out);
    }
    out.push('}');
  }
}

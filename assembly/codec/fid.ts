// Fids: binary form is two u64 (container, key); the top byte of container is
// the type letter (motr-ha-wire.md §5). Text forms accepted by parseFidText
// (as Motr's fid_sscanf, plus Hare's 0x prefixes):
//   <C:K>        hex, optional 0x, whitespace allowed around tokens
//   C:K          hex, optional 0x
//   T|C:K        T one type character; C, K with %i rules (decimal, 0x hex,
//                leading-0 octal); only when C has no type byte of its own
// Printed as Hare does: 0x%x:0x%x (lower case, no padding).

export class Fid {
  constructor(public c: u64 = 0, public k: u64 = 0) {}
  equals(o: Fid): bool { return this.c == o.c && this.k == o.k; }
  get typeLetter(): u8 { return <u8>(this.c >> 56); }
  toString(): string { return formatFid(this.c, this.k); }
}

export const PROCESS_CONTAINER: u64 = 0x7200000000000001;

export function formatFid(c: u64, k: u64): string {
  return '0x' + c.toString(16) + ':0x' + k.toString(16);
}

function isSpace(ch: i32): bool { return ch == 0x20 || (ch >= 0x09 && ch <= 0x0d); }

function digitValue(ch: i32): i32 {
  if (ch >= 0x30 && ch <= 0x39) return ch - 0x30;
  if (ch >= 0x61 && ch <= 0x66) return ch - 0x61 + 10;
  if (ch >= 0x41 && ch <= 0x46) return ch - 0x41 + 10;
  return 99;
}

/** Small cursor over a string for the fid grammar. */
class Scan {
  i: i32 = 0;
  ok: bool = true;
  constructor(public s: string) {}
  peek(): i32 { return this.i < this.s.length ? <i32>this.s.charCodeAt(this.i) : -1; }
  skipSpace(): void { while (isSpace(this.peek())) this.i++; }
  eat(ch: i32): bool { if (this.peek() == ch) { this.i++; return true; } return false; }

  /** radix 16 (optional 0x) or 0 for %i rules. Fails on no digits or overflow. */
  number(radix: i32): u64 {
    this.skipSpace();
    let base = radix;
    const c0 = this.peek();
    if (c0 == 0x30 && this.i + 1 < this.s.length &&
        (this.s.charCodeAt(this.i + 1) | 0x20) == 0x78) {
      this.i += 2;
      base = 16;
    } else if (base == 0) {
      base = c0 == 0x30 ? 8 : 10;
    }
    let v: u64 = 0;
    let n = 0;
    while (true) {
      const d = digitValue(this.peek());
      if (d >= base) break;
      const next = v * <u64>base + <u64>d;
      if (v > (<u64>-1) / <u64>base || next < v) { this.ok = false; return 0; }
      v = next;
      this.i++;
      n++;
    }
    if (n == 0 && !(base == 8 && c0 == 0x30)) this.ok = false;
    return v;
  }
}

/** Parses fid text into out. Returns false (out untouched) when it does not parse. */
export function parseFidText(text: string, out: Fid): bool {
  const s = new Scan(text);
  s.skipSpace();
  let c: u64 = 0;
  let k: u64 = 0;
  if (s.i + 1 < text.length && text.charCodeAt(s.i + 1) == 0x7c /* | */) {
    const t = <u64>text.charCodeAt(s.i);
    if (t > 0xff) return false;
    s.i += 2;
    c = s.number(0);
    s.skipSpace();
    if (!s.eat(0x3a)) return false;
    k = s.number(0);
    if (!s.ok || (c >> 56) != 0) return false;
    c |= t << 56;
  } else {
    const bracket = s.eat(0x3c /* < */);
    c = s.number(16);
    s.skipSpace();
    if (!s.eat(0x3a)) return false;
    k = s.number(16);
    s.skipSpace();
    if (bracket && !s.eat(0x3e /* > */)) return false;
  }
  s.skipSpace();
  if (!s.ok || s.i != text.length) return false;
  out.c = c;
  out.k = k;
  return true;
}

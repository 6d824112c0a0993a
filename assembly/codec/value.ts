// A small JSON-shaped value tree: what the codec's JSON view decodes into and
// encodes from (the host's Codec class speaks JSON text). Integers are kept as
// u64 bits plus a sign flag; `big` marks u64/i64 fields, which the JSON text
// renders as "<decimal>n" strings so that the host can revive them as BigInt.

export const V_NULL: u8 = 0;
export const V_NUM: u8 = 1;
export const V_STR: u8 = 2;
export const V_OBJ: u8 = 3;
export const V_ARR: u8 = 4;
export const V_BOOL: u8 = 5;

export class Value {
  kind: u8 = V_NULL;
  num: u64 = 0;        // magnitude for V_NUM; 0/1 for V_BOOL
  neg: bool = false;   // V_NUM sign
  big: bool = false;   // V_NUM: render as "<decimal>n"
  str: string = '';
  keys: Array<string> | null = null;
  items: Array<Value> | null = null;
  at: u32 = 0;         // JSON text offset this value was parsed from (errors)

  static u(v: u64, big: bool): Value {
    const x = new Value(); x.kind = V_NUM; x.num = v; x.big = big; return x;
  }
  static i(v: i64, big: bool): Value {
    const x = new Value(); x.kind = V_NUM; x.big = big;
    x.neg = v < 0; x.num = v < 0 ? <u64>(-v) : <u64>v;
    return x;
  }
  static s(v: string): Value { const x = new Value(); x.kind = V_STR; x.str = v; return x; }
  static obj(): Value {
    const x = new Value(); x.kind = V_OBJ; x.keys = []; x.items = []; return x;
  }
  static arr(): Value { const x = new Value(); x.kind = V_ARR; x.items = []; return x; }

  set(key: string, v: Value): Value {
    (this.keys as Array<string>).push(key);
    (this.items as Array<Value>).push(v);
    return this;
  }
  push(v: Value): Value { (this.items as Array<Value>).push(v); return this; }

  /** Object member or null. */
  get(key: string): Value | null {
    if (this.kind != V_OBJ) return null;
    const keys = this.keys as Array<string>;
    for (let i = 0; i < keys.length; i++) if (keys[i] == key) return (this.items as Array<Value>)[i];
    return null;
  }
  get length(): i32 { return this.items ? (this.items as Array<Value>).length : 0; }
  item(i: i32): Value { return (this.items as Array<Value>)[i]; }
}

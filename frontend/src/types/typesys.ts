/**
 * The port type system of `nodes/types.py`, ported line for line so that the canvas refuses
 * exactly the edges the server's validator refuses. The server stays the authority (it
 * validates every edit); this port lets `isValidConnection` answer while the mouse moves.
 *
 * Types arrive from the catalog as JSON (`Type.to_json()`) and from the validator as labels
 * (`"Embedding[384]"`); both become the same immutable values here.
 */

export interface TypeV {
  readonly kind: "type";
  readonly name: string;
  readonly args: readonly Arg[];
}

export interface VarV {
  readonly kind: "var";
  readonly name: string;
}

/** A type argument: a type, a known dimension, an unknown dimension (null), or a variable. */
export type Arg = TypeV | VarV | number | null;

export type Bindings = Record<string, TypeV | number | null>;

export enum Verdict {
  OK = "ok",
  TYPE_MISMATCH = "type_mismatch",
  DIMENSION_MISMATCH = "dimension_mismatch",
}

export const T = (name: string, ...args: Arg[]): TypeV => ({ kind: "type", name, args });
export const V = (name: string): VarV => ({ kind: "var", name });
export const ANY = T("Any");
export const List = (item: TypeV | VarV): TypeV => T("List", item);
export const Embedding = (dim: number | null | string = null): TypeV => T("Embedding", dimArg(dim));
export const Collection = (dim: number | null | string = null): TypeV => T("Collection", dimArg(dim));

function dimArg(dim: number | null | string): Arg {
  return typeof dim === "string" ? V(dim) : dim;
}

/** Arity and kind of each type's arguments, as `_SIGNATURES` in nodes/types.py. */
export const SIGNATURES: Record<string, readonly ("type" | "dim")[]> = {
  Any: [], Text: [], Integer: [], Number: [], Boolean: [], Json: [], Image: [], Audio: [],
  File: [], Document: [], Conditioning: [], Latent: [], Adapter: [],
  List: ["type"], Embedding: ["dim"], Collection: ["dim"],
};

/** The only implicit conversions: sender name -> receiver names it may also feed. */
const WIDENS_TO: Record<string, readonly string[]> = { Integer: ["Number"] };

export function isType(a: Arg): a is TypeV {
  return a !== null && typeof a === "object" && a.kind === "type";
}

export function isVar(a: Arg): a is VarV {
  return a !== null && typeof a === "object" && a.kind === "var";
}

export function typeToString(a: Arg): string {
  if (a === null) return "?";
  if (typeof a === "number") return String(a);
  if (a.kind === "var" || a.args.length === 0) return a.name;
  return `${a.name}[${a.args.map(typeToString).join(", ")}]`;
}

export function typesEqual(a: Arg, b: Arg): boolean {
  if (a === null || b === null || typeof a === "number" || typeof b === "number") return a === b;
  if (a.kind !== b.kind || a.name !== b.name) return false;
  if (a.kind === "var" || b.kind === "var") return true;
  return a.args.length === b.args.length && a.args.every((x, i) => typesEqual(x, b.args[i] ?? null));
}

// -- JSON of the catalog ----------------------------------------------------------------

export interface TypeJson {
  name: string;
  label?: string;
  args?: unknown[];
  var?: string;
  color?: string;
}

/** A catalog port type (`Type.to_json()` / `Var.to_json()`) as a value. */
export function typeFromJson(json: TypeJson): TypeV | VarV {
  if (typeof json.var === "string") return V(json.var);
  return T(json.name, ...(json.args ?? []).map(argFromJson));
}

function argFromJson(arg: unknown): Arg {
  if (arg === null || arg === undefined) return null;
  if (typeof arg === "number") return arg;
  const obj = arg as TypeJson;
  if (typeof obj.var === "string" && typeof obj.name !== "string") return V(obj.var);
  return typeFromJson(obj);
}

// -- parsing ----------------------------------------------------------------------------

type Token = ["name" | "int" | "?" | "[" | "]" | ",", string];
const TOKEN = /\s*(?:([A-Za-z_][A-Za-z0-9_]*)|(\d+)|(\?)|(\[)|(\])|(,))/y;
const KINDS = ["name", "int", "?", "[", "]", ","] as const;

/** Parse `"List[Embedding[384]]"` (or a bare variable, `"T"`); throw naming what is wrong. */
export function parseType(text: string): TypeV | VarV {
  const tokens = tokenize(text);
  const [pos, result] = parse(tokens, 0, text);
  if (pos !== tokens.length) throw new Error(`unexpected '${tokens[pos]![1]}' after the type in '${text}'`);
  if (!isType(result) && !isVar(result)) throw new Error(`'${text}' is not a type`);
  return result;
}

function tokenize(raw: string): Token[] {
  const tokens: Token[] = [];
  const text = raw.trimEnd();
  let pos = 0;
  while (pos < text.length) {
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(text);
    if (!m || m.index !== pos || TOKEN.lastIndex === pos) throw new Error(`cannot read the type '${text}' at position ${pos}`);
    const group = m.findIndex((g, i) => i > 0 && g !== undefined);
    tokens.push([KINDS[group - 1]!, m[group]!]);
    pos = TOKEN.lastIndex;
  }
  return tokens;
}

function parse(tokens: Token[], start: number, text: string): [number, Arg] {
  const token = tokens[start];
  if (!token) throw new Error(`the type '${text}' ends too early`);
  const [kind, value] = token;
  if (kind === "int") return [start + 1, Number(value)];
  if (kind === "?") return [start + 1, null];
  if (kind !== "name") throw new Error(`unexpected '${value}' in the type '${text}'`);
  const signature = SIGNATURES[value];
  if (!signature) {
    if (value.length <= 2) return [start + 1, V(value)]; // short names are variables: T, U, d, n
    throw new Error(`unknown type '${value}' in '${text}'; known types: ${Object.keys(SIGNATURES).join(", ")}`);
  }
  let pos = start + 1;
  let args: Arg[] = [];
  if (tokens[pos]?.[0] === "[") {
    pos += 1;
    for (;;) {
      const [next, arg] = parse(tokens, pos, text);
      args.push(arg);
      pos = next;
      if (tokens[pos]?.[0] === ",") { pos += 1; continue; }
      if (tokens[pos]?.[0] === "]") { pos += 1; break; }
      throw new Error(`missing ']' in the type '${text}'`);
    }
  }
  if (args.length !== signature.length) {
    if (args.length === 0 && signature.every((k) => k === "dim")) args = signature.map(() => null);
    else throw new Error(`${value} takes ${signature.length} argument(s), got ${args.length} in '${text}'`);
  }
  signature.forEach((sig, i) => {
    const arg = args[i] ?? null;
    if (sig === "type" && !isType(arg) && !isVar(arg)) throw new Error(`${value}[...] takes a type, got ${typeToString(arg)} in '${text}'`);
    if (sig === "dim" && isType(arg)) throw new Error(`${value}[...] takes a dimension, got ${typeToString(arg)} in '${text}'`);
  });
  return [pos, T(value, ...args)];
}

// -- compatibility ----------------------------------------------------------------------

/**
 * May a value of type `sender` flow into a port of type `receiver`? `bindings` collects the
 * receiver's variables and is updated in place only when the answer is OK (see `unify` in
 * nodes/types.py for the rules, in order).
 */
export function unify(sender: Arg, receiver: Arg, bindings?: Bindings): Verdict {
  const trial: Bindings = { ...(bindings ?? {}) };
  const verdict = unifyIn(sender, receiver, trial);
  if (verdict === Verdict.OK && bindings) Object.assign(bindings, trial);
  return verdict;
}

/** `unify`, plus lifting: a single value may feed a list input of its type. */
export function connect(sender: Arg, receiver: Arg, bindings?: Bindings): [Verdict, boolean] {
  const verdict = unify(sender, receiver, bindings);
  if (verdict !== Verdict.TYPE_MISMATCH) return [verdict, false];
  if (isType(receiver) && receiver.name === "List" && isType(sender) && sender.name !== "List" && sender.name !== "Any") {
    const lifted = unify(sender, receiver.args[0] ?? null, bindings);
    if (lifted !== Verdict.TYPE_MISMATCH) return [lifted, lifted === Verdict.OK];
  }
  return [verdict, false];
}

export function compatible(sender: TypeV, receiver: TypeV): boolean {
  return connect(sender, receiver)[0] === Verdict.OK;
}

function unifyIn(sender: Arg, receiver: Arg, b: Bindings): Verdict {
  if (isVar(receiver)) {
    const bound = b[receiver.name];
    if (bound !== undefined && bound !== null) return unifyIn(sender, bound, {});
    b[receiver.name] = isVar(sender) ? null : sender;
    return Verdict.OK;
  }
  if (isVar(sender) || sender === null || receiver === null) return Verdict.OK;
  if (typeof sender === "number" || typeof receiver === "number") {
    if (typeof sender === "number" && typeof receiver === "number") {
      return sender === receiver ? Verdict.OK : Verdict.DIMENSION_MISMATCH;
    }
    return Verdict.TYPE_MISMATCH;
  }
  if (receiver.name === "Any" || sender.name === "Any") return Verdict.OK;
  if (sender.name !== receiver.name) {
    return (WIDENS_TO[sender.name] ?? []).includes(receiver.name) ? Verdict.OK : Verdict.TYPE_MISMATCH;
  }
  if (sender.args.length !== receiver.args.length) return Verdict.TYPE_MISMATCH;
  let worst = Verdict.OK;
  for (let i = 0; i < sender.args.length; i++) {
    const v = unifyIn(sender.args[i] ?? null, receiver.args[i] ?? null, b);
    if (v === Verdict.TYPE_MISMATCH) return v;
    if (v === Verdict.DIMENSION_MISMATCH) worst = v;
  }
  return worst;
}

/** Replace the variables of `t` by their bindings (unbound dimensions become unknown). */
export function substitute(t: Arg, bindings: Bindings): Arg {
  if (isVar(t)) {
    const bound = bindings[t.name];
    if (bound === undefined || bound === null) return /^[A-Z]/.test(t.name) ? ANY : null;
    return bound;
  }
  if (isType(t) && t.args.length) return T(t.name, ...t.args.map((a) => substitute(a, bindings)));
  return t;
}

/**
 * The port type system of `nodes/types.py`, so that the canvas refuses exactly the edges the
 * server's validator refuses. The server stays the authority (it validates every edit); this
 * port lets `isValidConnection` answer while the mouse moves.
 *
 * The rule's data is not kept here: the type signatures, the widenings and which receivers
 * lift a single value come from the catalog (the `types` of `GET /api/nodes`, read by
 * `rulesOf`), and are passed in as `rules`. `DEFAULT_TYPE_RULES` serves until the catalog
 * has loaded (and for a server too old to send them). The algorithm is pinned to Python's by one table of cases generated from
 * `unify`/`connect` (`frontend/test/type_cases.json`), which both test suites assert.
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

// -- the rule's data (`type_catalog()` in nodes/types.py) --------------------------------

export type ArgKind = "type" | "dim";

/** One entry of the catalog's `types` (`type_catalog()` in nodes/types.py). */
export interface TypeEntryJson {
  name: string;
  color: string;
  args: ArgKind[];
  /** receivers a value of this type may also feed (Integer: ["Number"]) */
  widens_to?: string[];
  /** a receiver of this type also takes one value of its item type (List) */
  takes_single_item?: boolean;
  /** a single value of this type may be lifted into such a receiver */
  liftable?: boolean;
}

/** The data of the compatibility rule, gathered from the catalog's `types` by `rulesOf`. */
export interface TypeRules {
  /** Arity and kind of each type's arguments (`List: ["type"]`, `Embedding: ["dim"]`). */
  readonly signatures: Readonly<Record<string, readonly ArgKind[]>>;
  /** The only implicit conversions: sender name -> receiver names it may also feed. */
  readonly widens_to: Readonly<Record<string, readonly string[]>>;
  /** Receivers that also take a single value of their item type (their first argument). */
  readonly lifts_into: readonly string[];
  /** Senders that are never lifted into such a receiver. */
  readonly not_lifted: readonly string[];
}

/** The rules the canvas uses before the catalog has loaded; a test checks they equal the
 * catalog's (`frontend/test/catalog.fixture.json`, generated from the registry). */
export const DEFAULT_TYPE_RULES: TypeRules = {
  signatures: {
    Any: [], Text: [], Integer: [], Number: [], Boolean: [], Json: [], Image: [], Audio: [],
    File: [], Document: [], Conditioning: [], Latent: [], Adapter: [],
    List: ["type"], Embedding: ["dim"], Collection: ["dim"],
  },
  widens_to: { Integer: ["Number"] },
  lifts_into: ["List"],
  not_lifted: ["Any", "List"],
};

const isStringList = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === "string");

const isArgKinds = (x: unknown): x is ArgKind[] => isStringList(x) && x.every((k) => k === "type" || k === "dim");

function isEntry(x: unknown): x is Required<TypeEntryJson> {
  const e = x as Partial<Record<keyof TypeEntryJson, unknown>> | null;
  return typeof e === "object" && e !== null && typeof e.name === "string" && isArgKinds(e.args) &&
    isStringList(e.widens_to) && typeof e.takes_single_item === "boolean" && typeof e.liftable === "boolean";
}

/** The rules a catalog response carries in its `types`, or the defaults when it has none, or
 * comes from a server too old to describe the rule there (no `widens_to`, ...). */
export function rulesOf(catalog: object | null | undefined): TypeRules {
  const types: unknown = (catalog as { types?: unknown } | null | undefined)?.types;
  if (!Array.isArray(types) || types.length === 0 || !types.every(isEntry)) return DEFAULT_TYPE_RULES;
  return {
    signatures: Object.fromEntries(types.map((t) => [t.name, t.args])),
    widens_to: Object.fromEntries(types.filter((t) => t.widens_to.length).map((t) => [t.name, t.widens_to])),
    lifts_into: types.filter((t) => t.takes_single_item).map((t) => t.name),
    not_lifted: types.filter((t) => !t.liftable).map((t) => t.name),
  };
}

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
  var?: string | null;
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
export function parseType(text: string, rules: TypeRules = DEFAULT_TYPE_RULES): TypeV | VarV {
  const tokens = tokenize(text);
  const [pos, result] = parse(tokens, 0, text, rules.signatures);
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

function parse(tokens: Token[], start: number, text: string, signatures: TypeRules["signatures"]): [number, Arg] {
  const token = tokens[start];
  if (!token) throw new Error(`the type '${text}' ends too early`);
  const [kind, value] = token;
  if (kind === "int") return [start + 1, Number(value)];
  if (kind === "?") return [start + 1, null];
  if (kind !== "name") throw new Error(`unexpected '${value}' in the type '${text}'`);
  const signature = Object.hasOwn(signatures, value) ? signatures[value] : undefined;
  if (!signature) {
    if (value.length <= 2) return [start + 1, V(value)]; // short names are variables: T, U, d, n
    throw new Error(`unknown type '${value}' in '${text}'; known types: ${Object.keys(signatures).join(", ")}`);
  }
  let pos = start + 1;
  let args: Arg[] = [];
  if (tokens[pos]?.[0] === "[") {
    pos += 1;
    for (;;) {
      const [next, arg] = parse(tokens, pos, text, signatures);
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
 * nodes/types.py for the rules, in order; `rules` carries the widenings).
 */
export function unify(sender: Arg, receiver: Arg, bindings?: Bindings, rules: TypeRules = DEFAULT_TYPE_RULES): Verdict {
  const trial: Bindings = { ...(bindings ?? {}) };
  const verdict = unifyIn(sender, receiver, trial, rules);
  if (verdict === Verdict.OK && bindings) Object.assign(bindings, trial);
  return verdict;
}

/** `unify`, plus lifting: a single value may feed a receiver of `rules.lifts_into` (a list
 * input) of its item type; it then arrives as a one-item list. Returns the verdict and whether
 * the value must be wrapped ("lifted"). */
export function connect(sender: Arg, receiver: Arg, bindings?: Bindings, rules: TypeRules = DEFAULT_TYPE_RULES): [Verdict, boolean] {
  const verdict = unify(sender, receiver, bindings, rules);
  if (verdict !== Verdict.TYPE_MISMATCH) return [verdict, false];
  if (isType(receiver) && rules.lifts_into.includes(receiver.name) && isType(sender) && !rules.not_lifted.includes(sender.name)) {
    const lifted = unify(sender, receiver.args[0] ?? null, bindings, rules);
    if (lifted !== Verdict.TYPE_MISMATCH) return [lifted, lifted === Verdict.OK];
  }
  return [verdict, false];
}

export function compatible(sender: TypeV, receiver: TypeV, rules: TypeRules = DEFAULT_TYPE_RULES): boolean {
  return connect(sender, receiver, undefined, rules)[0] === Verdict.OK;
}

function unifyIn(sender: Arg, receiver: Arg, b: Bindings, rules: TypeRules): Verdict {
  if (isVar(receiver)) {
    const bound = b[receiver.name];
    if (bound !== undefined && bound !== null) return unifyIn(sender, bound, {}, rules);
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
    const widens = Object.hasOwn(rules.widens_to, sender.name) ? rules.widens_to[sender.name] : undefined;
    return widens?.includes(receiver.name) ? Verdict.OK : Verdict.TYPE_MISMATCH;
  }
  if (sender.args.length !== receiver.args.length) return Verdict.TYPE_MISMATCH;
  let worst = Verdict.OK;
  for (let i = 0; i < sender.args.length; i++) {
    const v = unifyIn(sender.args[i] ?? null, receiver.args[i] ?? null, b, rules);
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

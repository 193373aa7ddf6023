// The generated TypeScript module against the policy's shared test vectors
// (tests/support/vectors.rs: computed from the policy model, the same ones the
// Rust module meets). tests/vectors.rs compiles this file with the generated
// module copied to `cache.ts` (strict tsc) and runs it with `node --test`,
// the vectors' path in $CACHEGEN_VECTORS.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as cache from "./cache.js";

type Strings = { readonly [name: string]: string };
interface KeyVector {
  pattern: string; sample: number; params: Strings; inputs: Strings; key: string; store: string;
  slot: number; lock: string | null; lock_ttl_secs: number | null;
}
interface TagVector {
  tag: string; sample: number; params: Strings; inputs: Strings; key: string; store: string;
  ttl_secs: number | null; members: string[];
}
interface InvalidVector { pattern: string; param: string; input: string; as: "string" | "number" | "bigint"; why: string }
interface ClassifyVector { key: string; kind: "data" | "lock" | "tag" | null; name: string | null; params: Strings | null }
interface TtlVector {
  pattern: string; base_secs: number | null; max_secs: number | null; jitter_basis_points: number;
  draws: [number, number | null][];
}
interface Command { store: string; keys: string[] }
interface PlanVector {
  event: string; branch: string | null; tag_sets: boolean; sample: number; params: Strings; inputs: Strings;
  commands: Command[] | null; sets: { tag: string; store: string; key: string }[] | null;
}
interface PatternVector { pattern: string; store: string; shape: string; params: string[]; tags: string[]; lock_prefix: string | null }
interface TagSetVector { tag: string; store: string; shape: string; params: string[]; ttl_secs: number | null; members: string[] }
interface Vectors {
  policy: string; version_prefix: string | null; previous_prefixes: string[];
  stores: { name: string; cluster: boolean }[]; placeholders: Strings;
  patterns: PatternVector[]; tag_sets: TagSetVector[];
  keys: KeyVector[]; tags: TagVector[]; invalid: InvalidVector[]; classify: ClassifyVector[];
  ttl: TtlVector[]; plans: PlanVector[]; slots: [string, number][];
}

const path = process.env["CACHEGEN_VECTORS"];
if (path === undefined) throw new Error("CACHEGEN_VECTORS must name the vectors file");
const v = JSON.parse(readFileSync(path, "utf8")) as Vectors;

// The module's typed maps, looked up by names read from JSON.
type Builder = (params?: { readonly [name: string]: unknown }) => string;
type Plan = (params: { readonly [name: string]: unknown }) => readonly cache.Unlink[];
const keyBuilders = cache.keys as unknown as { readonly [name: string]: Builder | undefined };
const lockBuilders = cache.lockKeys as unknown as { readonly [name: string]: Builder | undefined };
const tagBuilders = cache.tagKeys as unknown as { readonly [name: string]: Builder | undefined };
const patterns = cache.PATTERNS as unknown as { readonly [name: string]: cache.PatternInfo | undefined };
const tagInfos = cache.TAGS as unknown as { readonly [name: string]: cache.TagInfo | undefined };
const stores = cache.STORES as unknown as { readonly [name: string]: cache.StoreInfo | undefined };
const events = cache.events as unknown as {
  readonly [name: string]: {
    readonly plan: Plan;
    readonly whenChanged: { readonly [field: string]: Plan | undefined };
    readonly tagSets: (params: { readonly [name: string]: unknown }) => readonly cache.TagSetRef[];
  } | undefined;
};

function found<T>(value: T | undefined, what: string): T {
  assert.ok(value !== undefined, `${what} is missing from the module`);
  return value;
}

/** A vector's inputs as a caller passes them: ints as numbers (bigints above 2^53-1). */
function args(inputs: Strings): { [name: string]: unknown } {
  const out: { [name: string]: unknown } = {};
  for (const [name, value] of Object.entries(inputs)) {
    if (v.placeholders[name] === "int") {
      const big = BigInt(value);
      out[name] = big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : big;
    } else {
      out[name] = value;
    }
  }
  return out;
}

/** Calls a builder: no argument when the key has no placeholder. */
function build(builder: Builder, inputs: Strings): string {
  return Object.keys(inputs).length === 0 ? builder() : builder(args(inputs));
}

function commands(plan: readonly cache.Unlink[]): Command[] {
  return plan.map((u) => ({ store: u.store, keys: [...u.keys] }));
}

test("constants: version prefix, previous prefixes, stores", () => {
  assert.equal(cache.VERSION_PREFIX, v.version_prefix);
  assert.deepEqual([...cache.PREVIOUS_PREFIXES], v.previous_prefixes);
  assert.deepEqual(Object.keys(cache.STORES).sort(), v.stores.map((s) => s.name).sort());
  for (const s of v.stores) {
    const info = found(stores[s.name], `STORES.${s.name}`);
    assert.equal(info.name, s.name);
    assert.equal(info.cluster, s.cluster, s.name);
  }
});

test("PATTERNS and TAGS: stores, shapes, parameters, tags, locks, members", () => {
  assert.deepEqual(Object.keys(cache.PATTERNS), v.patterns.map((p) => p.pattern), "patterns in policy order");
  for (const p of v.patterns) {
    const info = found(patterns[p.pattern], `PATTERNS.${p.pattern}`);
    assert.deepEqual(
      { name: info.name, store: info.store, shape: info.shape, params: [...info.params], tags: [...info.tags], lockPrefix: info.lock?.prefix ?? null },
      { name: p.pattern, store: p.store, shape: p.shape, params: p.params, tags: p.tags, lockPrefix: p.lock_prefix },
      p.pattern,
    );
  }
  assert.deepEqual(Object.keys(cache.TAGS), v.tag_sets.map((t) => t.tag), "tag sets in policy order");
  for (const t of v.tag_sets) {
    const info = found(tagInfos[t.tag], `TAGS.${t.tag}`);
    assert.deepEqual(
      { name: info.name, store: info.store, shape: info.shape, params: [...info.params], ttlSecs: info.ttlSecs, members: [...info.members] },
      { name: t.tag, store: t.store, shape: t.shape, params: t.params, ttlSecs: t.ttl_secs, members: t.members },
      t.tag,
    );
  }
});

test("keys, lock keys and slots", () => {
  assert.ok(v.keys.length > 0);
  assert.deepEqual(Object.keys(cache.keys).sort(), [...new Set(v.keys.map((k) => k.pattern))].sort());
  for (const k of v.keys) {
    const what = `${k.pattern} sample ${k.sample}`;
    assert.equal(build(found(keyBuilders[k.pattern], `keys.${k.pattern}`), k.inputs), k.key, what);
    assert.equal(cache.keySlot(k.key), k.slot, what);
    const info = found(patterns[k.pattern], `PATTERNS.${k.pattern}`);
    assert.equal(info.name, k.pattern);
    assert.equal(info.store, k.store, what);
    assert.deepEqual([...info.params], Object.keys(k.params), what);
    if (k.lock === null) {
      assert.equal(lockBuilders[k.pattern], undefined, `${k.pattern} has no lock`);
      assert.equal(info.lock, null, what);
    } else {
      assert.equal(build(found(lockBuilders[k.pattern], `lockKeys.${k.pattern}`), k.inputs), k.lock, what);
      assert.equal(info.lock?.ttlSecs, k.lock_ttl_secs, what);
      assert.ok(k.lock.endsWith(k.key) && k.lock.startsWith(info.lock?.prefix ?? "\u0000"), what);
    }
  }
});

test("tag-set keys, stores, TTLs and members", () => {
  assert.deepEqual(Object.keys(cache.tagKeys).sort(), [...new Set(v.tags.map((t) => t.tag))].sort());
  for (const t of v.tags) {
    const what = `${t.tag} sample ${t.sample}`;
    assert.equal(build(found(tagBuilders[t.tag], `tagKeys.${t.tag}`), t.inputs), t.key, what);
    const info = found(tagInfos[t.tag], `TAGS.${t.tag}`);
    assert.equal(info.store, t.store, what);
    assert.equal(info.ttlSecs, t.ttl_secs, what);
    assert.deepEqual([...info.members], t.members, what);
  }
});

test("builders refuse values outside their placeholder's type", () => {
  assert.ok(v.invalid.length > 0 || v.keys.every((k) => Object.keys(k.inputs).length === 0));
  for (const bad of v.invalid) {
    const sample = found(v.keys.find((k) => k.pattern === bad.pattern), `a key of ${bad.pattern}`);
    const params = args(sample.inputs);
    params[bad.param] = bad.as === "number" ? Number(bad.input) : bad.as === "bigint" ? BigInt(bad.input) : bad.input;
    const what = `${bad.pattern}.${bad.param} = ${bad.as} ${JSON.stringify(bad.input)} (${bad.why})`;
    const builders: [string, Builder | undefined, { [name: string]: unknown }][] = [
      ["keys", keyBuilders[bad.pattern], params],
      ["lockKeys", lockBuilders[bad.pattern], params],
    ];
    // Tag sets keyed by the same placeholder refuse the same value.
    for (const t of v.tags.filter((t) => t.sample === 0 && bad.param in t.inputs)) {
      const tagParams = args(t.inputs);
      tagParams[bad.param] = params[bad.param];
      builders.push([`tagKeys.${t.tag}`, tagBuilders[t.tag], tagParams]);
    }
    for (const [map, builder, input] of builders) {
      if (builder === undefined) continue;
      assert.throws(
        () => builder(input),
        (err: unknown) => {
          assert.ok(err instanceof cache.CacheKeyError, `${map}: ${what}: threw ${String(err)}`);
          assert.ok(err instanceof Error);
          assert.equal(err.parameter, bad.param, what);
          assert.ok(err.message.includes(bad.param), `${what}: ${err.message}`);
          return true;
        },
        `${map}: ${what}`,
      );
    }
  }
});

test("classify and classifyAny", () => {
  for (const c of v.classify) {
    const any = cache.classifyAny(c.key);
    const data = cache.classify(c.key);
    const what = JSON.stringify(c.key);
    if (c.kind === null) {
      assert.equal(any, null, what);
      assert.equal(data, null, what);
      continue;
    }
    assert.ok(any !== null, `${what} classifies as nothing`);
    assert.deepEqual({ kind: any.kind, name: any.name, params: { ...any.params } }, { kind: c.kind, name: c.name, params: c.params }, what);
    if (c.kind === "data") {
      assert.ok(data !== null, what);
      assert.deepEqual({ pattern: data.pattern, params: { ...data.params } }, { pattern: c.name, params: c.params }, what);
    } else {
      assert.equal(data, null, what);
    }
  }
});

test("TTLs: ttlSeconds with an injected random, and jitteredTtl", () => {
  for (const t of v.ttl) {
    const info = found(patterns[t.pattern], `PATTERNS.${t.pattern}`);
    if (t.base_secs === null || t.max_secs === null) {
      assert.equal(info.ttl, null, t.pattern);
    } else {
      assert.deepEqual(
        info.ttl === null ? null : { ...info.ttl },
        { baseSecs: t.base_secs, maxSecs: t.max_secs, jitterBasisPoints: t.jitter_basis_points },
        t.pattern,
      );
    }
    for (const [unit, expected] of t.draws) {
      const what = `${t.pattern} at ${unit}`;
      assert.equal(cache.ttlSeconds(t.pattern as cache.PatternName, () => unit), expected, what);
      if (t.base_secs !== null && expected !== null) {
        assert.equal(cache.jitteredTtl(t.base_secs, t.jitter_basis_points, t.max_secs, unit), expected, what);
      }
    }
    // Math.random by default: always within the range.
    const drawn = cache.ttlSeconds(t.pattern as cache.PatternName);
    if (t.base_secs === null || t.max_secs === null) assert.equal(drawn, null, t.pattern);
    else assert.ok(drawn !== null && drawn >= t.base_secs && drawn <= t.max_secs, `${t.pattern}: ${drawn}`);
  }
});

test("slots of hash-tag edge cases", () => {
  for (const [key, slot] of v.slots) assert.equal(cache.keySlot(key), slot, JSON.stringify(key));
});

test("event plans, when_changed branches and tag sets", () => {
  for (const p of v.plans) {
    const e = found(events[p.event], `events[${JSON.stringify(p.event)}]`);
    const what = `${p.event} ${p.branch ?? (p.tag_sets ? "tag sets" : "plan")} sample ${p.sample}`;
    const params = args(p.inputs);
    if (p.tag_sets) {
      const sets = e.tagSets(params).map((s) => ({ tag: s.tag, store: s.store, key: s.key }));
      assert.deepEqual(sets, p.sets, what);
      continue;
    }
    const plan = p.branch === null ? e.plan : found(e.whenChanged[p.branch], `${what}: whenChanged`);
    const got = commands(plan(params));
    assert.deepEqual(got, p.commands, what);
    // unlinkGroups makes the same commands from each store's keys.
    const byStore = new Map<string, string[]>();
    for (const c of got) byStore.set(c.store, [...(byStore.get(c.store) ?? []), ...c.keys]);
    const regrouped = [...byStore].flatMap(([store, keys]) => commands(cache.unlinkGroups(store as cache.StoreName, keys)));
    assert.deepEqual(regrouped, p.commands, `${what}: unlinkGroups`);
  }
  // Events without tag sets give none; branches are exactly the when_changed fields.
  for (const [name, e] of Object.entries(events)) {
    if (e === undefined) continue;
    const vectors = v.plans.filter((p) => p.event === name);
    assert.ok(vectors.length > 0, `${name}: no vectors`);
    const fields = [...new Set(vectors.flatMap((p) => (p.branch === null ? [] : [p.branch])))];
    assert.deepEqual(Object.keys(e.whenChanged).sort(), fields.sort(), name);
    if (!vectors.some((p) => p.tag_sets)) assert.deepEqual([...e.tagSets(args(vectors[0]?.inputs ?? {}))], [], name);
  }
});

// The generated quizmentor module driving real ioredis end to end: keys,
// TTLs, tag sets, stampede locks and every invalidation plan, written and
// run against quizmentor's `cache` store (a 3 × 2 loopback Redis Cluster
// booted by its generated bootstrap.sh) and its `durable` store (a
// redis-server on its generated redis.conf), each with its generated ACL.
//
// Run by tests/build_typescript_e2e.rs, which compiles this file and the
// module with the strict TSCONFIG, passes ports, passwords and what the
// policy says (pattern types and TTL bounds, each event's patterns, from the
// policy model, not from the module) in the environment, and afterwards
// runs `cachegen verify --full` on the keys this test leaves behind.
//
// Writes go through the SERVICE users the policy grants (`api`, `warmer`):
// a key the module built wrongly is refused by the generated ACL (NOPERM).
// Inspection (TTL, EXISTS, CLUSTER KEYSLOT) goes through the operator
// (`admin`), so that what is checked is the server's state, not a grant.

import { after, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { Cluster, Redis } from "ioredis";
import {
  PATTERNS,
  STORES,
  TAGS,
  WARMING,
  classify,
  clusterOptions,
  events,
  keySlot,
  keys,
  lockKeys,
  redisOptions,
  runPlan,
  tagKeys,
  ttlSeconds,
  unlinkGroups,
} from "./quizmentor-cache.js";
import type {
  EventName,
  PatternName,
  StoreName,
  TagName,
  Unlink,
  UnlinkClient,
} from "./quizmentor-cache.js";

// --- what the Rust test passes in -----------------------------------------

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set (run by tests/build_typescript_e2e.rs)`);
  return value;
}

/** From the policy model (tests/build_typescript_e2e.rs `expectations`). */
interface Expected {
  readonly patterns: { readonly [pattern: string]: { readonly store: string; readonly type: string; readonly ttl: readonly [number, number] | null } };
  readonly tags: { readonly [tag: string]: { readonly ttl: number | null } };
  readonly events: {
    readonly [event: string]: {
      readonly params: readonly string[];
      readonly plan: readonly string[];
      readonly whenChanged: { readonly [field: string]: readonly string[] };
      readonly tagSets: readonly string[];
    };
  };
}
const EXPECTED = JSON.parse(env("E2E_EXPECTED")) as Expected;
const HOST = "127.0.0.1";
const CLUSTER_SEED = Number(env("E2E_CLUSTER_SEED"));
const DURABLE_PORT = Number(env("E2E_DURABLE_PORT"));

// --- clients, configured by the module's own options ----------------------

function clusterAs(user: string): Cluster {
  return new Cluster([{ host: HOST, port: CLUSTER_SEED }], {
    ...clusterOptions,
    redisOptions: { ...clusterOptions.redisOptions, username: user, password: env(`E2E_CACHE_${user.toUpperCase()}`) },
  });
}

function durableAs(user: string): Redis {
  const variable = `E2E_DURABLE_${user.toUpperCase().replace(/-/g, "_")}`;
  return new Redis({ ...redisOptions, host: HOST, port: DURABLE_PORT, username: user, password: env(variable) });
}

// The policy asks for ioredis' ready check (`client.ready_check: true`,
// enableReadyCheck), which sends INFO; the generated ACL grants it, so no
// connection may log that it skipped the check.
const warnings: string[] = [];
const consoleWarn = console.warn;
console.warn = (...args: unknown[]): void => {
  warnings.push(args.map(String).join(" "));
  consoleWarn(...args);
};

/** Both ioredis clients: a cluster store's and a single node's. */
type Client = Cluster | Redis;
const api: { readonly [S in StoreName]: Client } = { cache: clusterAs("api"), durable: durableAs("api") };
const warmer = clusterAs("warmer");
const answerWorker = durableAs("answer-worker");
const operator: { readonly [S in StoreName]: Client } = { cache: clusterAs("admin"), durable: durableAs("admin") };
after(async () => {
  for (const client of [api.cache, api.durable, warmer, answerWorker, operator.cache, operator.durable]) await client.quit();
});

// --- parameter values: several ids per pattern ----------------------------

/** Ids per pattern with placeholders (a pattern without any has one key). */
const IDS = 150;
const md5 = (text: string): string => createHash("md5").update(text).digest("hex");

/** The value of placeholder `name` for id `i`: the same `i` gives every
 * pattern and event that names the placeholder the same value, so an event
 * with id `i` invalidates the keys written with id `i`. */
function placeholderValue(name: string, i: number): number | string {
  switch (name) {
    case "user_id":
    case "quiz_id":
    case "question_id":
      return i;
    case "session_id":
      return `Sess_${i}-x`;
    case "topic":
      return `topic-${i}`;
    case "endpoint":
      return `endpoint_${i % 7}`;
    case "compute_type":
      return `report-${i % 5}`;
    case "params_md5":
    case "input_md5":
      return md5(`${name}:${i}`);
    default:
      throw new Error(`no test value for placeholder \`${name}\`: add one for this policy`);
  }
}

type Params = { readonly [placeholder: string]: number | string };
function paramsFor(names: readonly string[], i: number): Params {
  return Object.fromEntries(names.map((n) => [n, placeholderValue(n, i)]));
}

// The builders are typed per pattern (a typo is a compile error); driving
// every pattern from one loop needs one loose view of them.
type Builder = (params?: Params) => string;
const buildKey = (p: PatternName, params: Params): string => (keys[p] as unknown as Builder)(params);
function buildLockKey(p: PatternName, params: Params): string {
  const build = (lockKeys as unknown as { readonly [p: string]: Builder | undefined })[p];
  if (build === undefined) throw new Error(`${p} has a lock but no lockKeys builder`);
  return build(params);
}
const buildTagKey = (t: TagName, params: Params): string => (tagKeys[t] as unknown as Builder)(params);
interface LooseEventPlans {
  readonly plan: (params: Params) => Unlink[];
  readonly whenChanged: { readonly [field: string]: (params: Params) => Unlink[] };
  readonly tagSets: (params: Params) => { tag: TagName; store: StoreName; key: string }[];
}
const eventPlans = (e: string): LooseEventPlans => {
  const plans = (events as unknown as { readonly [e: string]: LooseEventPlans | undefined })[e];
  if (plans === undefined) throw new Error(`no events[${JSON.stringify(e)}] in the module`);
  return plans;
};

const PATTERN_NAMES = Object.keys(PATTERNS) as PatternName[];
const idsOf = (p: PatternName): number[] =>
  PATTERNS[p].params.length === 0 ? [1] : Array.from({ length: IDS }, (_, k) => k + 1);

// --- writing ---------------------------------------------------------------

interface Written {
  readonly pattern: PatternName;
  readonly store: StoreName;
  /** The id its placeholders were drawn from (see `placeholderValue`). */
  readonly id: number;
  /** The TTL the module drew, in seconds; null: the key never expires. */
  readonly ttl: number | null;
  /** When it was written (ms), to allow for the seconds since. */
  readonly at: number;
}

/** A tag set written to, and the longest TTL drawn for any of its members. */
interface TagSetWritten {
  readonly tag: TagName;
  longestMember: number | null;
  at: number;
}

/** Runs `task` on `items` a chunk at a time (thousands of commands, not all at once). */
async function inChunks<T>(items: readonly T[], task: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += 400) await Promise.all(items.slice(i, i + 400).map(task));
}

/** Writes a value of the pattern's declared type with the module's TTL. */
async function writeValue(client: Client, key: string, type: string, ttl: number | null, value: string): Promise<void> {
  if (type === "string") {
    assert.equal(ttl === null ? await client.set(key, value) : await client.set(key, value, "EX", ttl), "OK");
    return;
  }
  await client.del(key);
  if (type === "list") await client.rpush(key, value);
  else if (type === "hash") await client.hset(key, "v", value);
  else if (type === "set") await client.sadd(key, value);
  else if (type === "zset") await client.zadd(key, 1, value);
  else throw new Error(`${key}: no writer for type ${type}`);
  if (ttl !== null) assert.equal(await client.expire(key, ttl), 1);
}

/** What a round of writes left: data keys and tag sets, by key. */
interface Keyspace {
  readonly written: Map<string, Written>;
  readonly tagSets: Map<string, TagSetWritten>;
}

/** Writes the key of pattern `p` for id `i` as `client`, with the module's
 * TTL, and adds it to its tag sets; records both in `into`. */
async function writeKey(into: Keyspace, client: Client, p: PatternName, i: number): Promise<string> {
  const info = PATTERNS[p];
  const expected = EXPECTED.patterns[p];
  assert.ok(expected, `${p}: a pattern the policy does not have`);
  assert.equal(info.store, expected.store, `${p}: store`);
  const key = buildKey(p, paramsFor(info.params, i));
  // The random source reaches both ends of the jitter: 0 and 1 (clamped).
  const ttl = ttlSeconds(p, () => (i % 11) / 10);
  await writeValue(client, key, expected.type, ttl, JSON.stringify({ p, i }));
  into.written.set(key, { pattern: p, store: info.store, id: i, ttl, at: Date.now() });
  for (const t of info.tags) {
    const tag = TAGS[t];
    const tagKey = buildTagKey(t, paramsFor(tag.params, i));
    // The client that wrote the member adds it (the warmer is granted SADD too).
    await client.sadd(tagKey, key);
    if (tag.ttlSecs !== null) assert.equal(await client.expire(tagKey, tag.ttlSecs), 1);
    const set = into.tagSets.get(tagKey) ?? { tag: t, longestMember: 0, at: Date.now() };
    set.longestMember = ttl === null || set.longestMember === null ? null : Math.max(set.longestMember, ttl);
    set.at = Date.now();
    into.tagSets.set(tagKey, set);
  }
  return key;
}

/** Seconds since `at` (ms), rounded up, plus one for the server's rounding. */
const since = (at: number): number => Math.ceil((Date.now() - at) / 1000) + 1;

/** Whether `w`'s TTL may have run out by now (question_stats lives 10 s). */
const mayHaveExpired = (w: Written): boolean => w.ttl !== null && w.ttl <= since(w.at);

/** Every key of every pattern (IDS ids each) through `api`, with tag-set
 * membership; stampede locks; then each warming task's keys through
 * `warmer`. Checks every TTL; returns what was written, by key. */
async function populate(firstRound: boolean): Promise<Map<string, Written>> {
  const keyspace: Keyspace = { written: new Map(), tagSets: new Map() };
  const jobs: { p: PatternName; i: number }[] = PATTERN_NAMES.flatMap((p) => idsOf(p).map((i) => ({ p, i })));
  const write = (client: Client, p: PatternName, i: number): Promise<string> => writeKey(keyspace, client, p, i);
  await inChunks(jobs, ({ p, i }) => write(api[PATTERNS[p].store], p, i));

  // Stampede locks: one holder wins, the second is refused while it lives.
  const locked = jobs.filter(({ p }) => PATTERNS[p].lock !== null);
  assert.ok(locked.length > 0, "the policy has stampede locks");
  await inChunks(locked, async ({ p, i }) => {
    const lock = PATTERNS[p].lock!;
    const key = buildLockKey(p, paramsFor(PATTERNS[p].params, i));
    const client = api[PATTERNS[p].store];
    const first = await client.set(key, "holder-1", "PX", lock.ttlSecs * 1000, "NX");
    // A lock of the first round may still be held in the second.
    if (firstRound) assert.equal(first, "OK", key);
    assert.equal(await client.set(key, "holder-2", "PX", lock.ttlSecs * 1000, "NX"), null, `${key} taken twice`);
    const pttl = await operator[PATTERNS[p].store].pttl(key);
    assert.ok(pttl > 0 && pttl <= lock.ttlSecs * 1000, `${key}: lock PTTL ${pttl} outside (0, ${lock.ttlSecs * 1000}]`);
  });

  // The warmer writes only what its tasks list (its ACL grants no more).
  const tasks = Object.values(WARMING);
  assert.ok(tasks.length > 0, "the policy has warming tasks");
  for (const task of tasks) {
    const count = Math.min(task.limit ?? 20, 20);
    const taskJobs = task.keys.flatMap((p) => idsOf(p).slice(0, count).map((i) => ({ p, i })));
    await inChunks(taskJobs, ({ p, i }) => write(warmer, p, i));
  }
  await checkTtls(keyspace);
  return keyspace.written;
}

/** Each written key's remaining TTL (server `TTL`) is what the module drew,
 * less the seconds since, and the drawn TTL is within the policy's bounds;
 * each tag set expires as the policy says, after its longest-lived member. */
async function checkTtls({ written, tagSets }: Keyspace): Promise<void> {
  await inChunks([...written.entries()], async ([key, w]) => {
    const bounds = EXPECTED.patterns[w.pattern]!.ttl;
    const info = PATTERNS[w.pattern].ttl;
    const remaining = await operator[w.store].ttl(key);
    if (bounds === null) {
      assert.equal(info, null, `${w.pattern}: PATTERNS says it expires`);
      assert.equal(w.ttl, null, `${key}: the pattern never expires`);
      assert.equal(remaining, -1, `${key}: TTL`);
      return;
    }
    const [base, max] = bounds;
    assert.ok(info !== null && info.baseSecs === base && info.maxSecs === max, `${w.pattern}: PATTERNS ttl ${JSON.stringify(info)}, policy [${base}, ${max}]`);
    assert.ok(w.ttl !== null && w.ttl >= base && w.ttl <= max, `${key}: drew ${w.ttl}, policy [${base}, ${max}]`);
    if (remaining === -2) return assert.ok(mayHaveExpired(w), `${key} vanished before its TTL (${w.ttl} s)`);
    assert.ok(remaining <= w.ttl && remaining >= w.ttl - since(w.at), `${key}: TTL ${remaining}, set ${w.ttl}`);
  });
  assert.ok(tagSets.size > 0, "tag sets written");
  await inChunks([...tagSets.entries()], async ([tagKey, set]) => {
    const tag = TAGS[set.tag];
    const policyTtl = EXPECTED.tags[set.tag]?.ttl ?? null;
    assert.equal(tag.ttlSecs, policyTtl, `${set.tag}: TAGS ttlSecs`);
    const remaining = await operator[tag.store].ttl(tagKey);
    if (policyTtl === null) {
      assert.equal(remaining, -1, `${tagKey}: TTL`);
      return;
    }
    assert.ok(remaining <= policyTtl && remaining >= policyTtl - since(set.at), `${tagKey}: TTL ${remaining}, policy ${policyTtl}`);
    assert.ok(set.longestMember !== null && remaining >= set.longestMember - since(set.at), `${tagKey} (TTL ${remaining}) dies before a member (${set.longestMember})`);
  });
}

// --- invalidation ------------------------------------------------------------

async function exists(store: StoreName, key: string): Promise<boolean> {
  return (await operator[store].exists(key)) === 1;
}

/** The server's slot of `key`, asked of the cluster (not the module). */
async function serverSlot(key: string): Promise<number> {
  return Number(await operator.cache.call("CLUSTER", "KEYSLOT", key));
}

const clientFor = (store: StoreName): UnlinkClient => api[store];

/** Runs `plan` as the service, after checking it deletes exactly the keys of
 * `patterns` built from `params` (the policy's closure, from the Rust side),
 * each of which this test wrote, one slot per command; afterwards they are
 * gone. Removes them from `live`. */
async function runCheckedPlan(what: string, plan: readonly Unlink[], patterns: readonly string[], i: number, live: Map<string, Written>): Promise<number> {
  // A key whose TTL may have run out since it was written (a slow machine)
  // is written again first, so that the plan has something to delete.
  for (const p of patterns) {
    const key = buildKey(p as PatternName, paramsFor(PATTERNS[p as PatternName].params, i));
    const w = live.get(key);
    if (w !== undefined && mayHaveExpired(w)) await writeKey({ written: live, tagSets: new Map() }, api[w.store], w.pattern, i);
  }
  const planned = plan.flatMap((u) => u.keys.map((k) => ({ store: u.store, key: k })));
  const expected = patterns.map((p) => buildKey(p as PatternName, paramsFor(PATTERNS[p as PatternName].params, i)));
  assert.deepEqual(new Set(planned.map((k) => k.key)), new Set(expected), `${what}: the plan's keys`);
  assert.equal(planned.length, expected.length, `${what}: each key once`);
  for (const u of plan) {
    assert.ok(u.keys.length > 0, `${what}: an empty UNLINK`);
    for (const key of u.keys) {
      const w = live.get(key);
      assert.ok(w, `${what}: ${key} was not written by this test (or already invalidated)`);
      assert.equal(u.store, w.store, `${what}: ${key} in store ${u.store}`);
      assert.ok(await exists(u.store, key), `${what}: ${key} exists before`);
    }
    if (STORES[u.store].cluster) {
      const slots = new Set(await Promise.all(u.keys.map(serverSlot)));
      assert.equal(slots.size, 1, `${what}: one UNLINK spans slots ${[...slots]}`);
      assert.equal(keySlot(u.keys[0]!), [...slots][0], `${what}: keySlot agrees with the server`);
    }
  }
  await runPlan(plan, clientFor); // rejects on CROSSSLOT or NOPERM
  for (const { store, key } of planned) {
    assert.equal(await exists(store, key), false, `${what}: ${key} still there after the plan`);
    live.delete(key);
  }
  return planned.length;
}

// --- the test --------------------------------------------------------------

test("the module's keys, TTLs, tag sets, locks and plans on the real stores", async (t) => {
  // Steps build on each other: after a failure the rest are skipped.
  let failed = false;
  const step = async (name: string, body: () => Promise<void>): Promise<void> => {
    if (failed) return void (await t.test(name, { skip: "an earlier step failed" }));
    await t.test(name, async () => {
      try {
        await body();
      } catch (error: unknown) {
        failed = true;
        throw error;
      }
    });
  };
  let live = new Map<string, Written>();
  await step("write every pattern through the builders as the service users", async () => {
    live = await populate(true);
    const byPattern = new Set([...live.values()].map((w) => w.pattern));
    assert.deepEqual(byPattern, new Set(PATTERN_NAMES), "every pattern written");
    assert.ok(live.size > 2000, `a few thousand keys (${live.size})`);
    // The typed builders as a service calls them: a bigint id is the same key.
    const profile = keys.user_profile({ user_id: 7n });
    assert.equal(profile, keys.user_profile({ user_id: 7 }));
    assert.ok(live.has(profile) && (await api.cache.exists(profile)) === 1, profile);
  });

  const total = live.size;
  let unlinked = 0;
  await step("every event's plan and every when_changed branch", async () => {
    const names = Object.keys(events) as EventName[];
    assert.deepEqual(new Set<string>(names), new Set(Object.keys(EXPECTED.events)), "one entry per event");
    let n = 0;
    for (const e of names) {
      const expected = EXPECTED.events[e]!;
      const plans = eventPlans(e);
      n += 1;
      const i = 2 * n; // its own ids: no other plan touches them
      const params = paramsFor(expected.params, i);
      unlinked += await runCheckedPlan(`${e}: plan`, plans.plan(params), expected.plan, i, live);
      assert.deepEqual(Object.keys(plans.whenChanged).sort(), Object.keys(expected.whenChanged).sort(), `${e}: branches`);
      let branch = 0;
      for (const [field, patterns] of Object.entries(expected.whenChanged)) {
        branch += 1;
        const j = 40 + 10 * n + branch;
        const run = plans.whenChanged[field];
        assert.ok(run, `${e}: no whenChanged.${field}`);
        unlinked += await runCheckedPlan(`${e}: when ${field} changed`, run(paramsFor(expected.params, j)), patterns, j, live);
      }
      assert.deepEqual(plans.tagSets(params).map((r) => r.tag), [...expected.tagSets], `${e}: tag sets`);
    }
  });

  await step("tag-set invalidation: SMEMBERS, unlinkGroups, runPlan", async () => {
    // No quizmentor event invalidates by tag (the policy's tag sets serve an
    // operator's invalidateTag), so no service is granted SMEMBERS on them:
    // the operator runs it, with the module's grouping.
    for (const [t, i] of [["user", 99], ["quizzes", 1]] as const) {
      const tag = TAGS[t];
      const tagKey = buildTagKey(t, paramsFor(tag.params, i));
      const members = await operator[tag.store].smembers(tagKey);
      // A set also keeps the names of members an event already deleted.
      const alive = [...live.entries()].filter(([, w]) => tag.members.includes(w.pattern) && (tag.params.length === 0 || w.id === i));
      assert.ok(alive.length > 0, `${tagKey}: live members`);
      for (const [k] of alive) assert.ok(members.includes(k), `${tagKey} misses its member ${k}`);
      const groups = unlinkGroups(tag.store, members);
      assert.deepEqual(new Set(groups.flatMap((g) => g.keys)), new Set(members), `${tagKey}: unlinkGroups keeps every member`);
      for (const g of groups) assert.equal(new Set(await Promise.all(g.keys.map(serverSlot))).size, 1, `${tagKey}: one slot per UNLINK`);
      await runPlan(groups, () => operator[tag.store]);
      assert.equal(await operator[tag.store].unlink(tagKey), 1);
      for (const k of members) assert.equal(await exists(tag.store, k), false, `${k} survived its tag set`);
      for (const [k] of alive) live.delete(k);
      unlinked += alive.length;
    }
  });

  await step("write-behind: the API queues answers in one MULTI, the worker drains them", async () => {
    // The durable store is one node so that an answer and its queue entry
    // are written together (in the cluster they were two slots).
    const queue = buildKey("answer_write_queue", {});
    assert.equal(await api.durable.del(queue), 1);
    live.delete(queue);
    unlinked += 1;
    const answers = [1, 2, 3].map((i) => buildKey("answer", paramsFor(PATTERNS.answer.params, i)));
    for (const key of answers) {
      const replies = await api.durable.multi().set(key, "42").lpush(queue, key).exec();
      assert.ok(replies !== null && replies.every(([error]) => error === null), `${key}: MULTI ${JSON.stringify(replies)}`);
    }
    const drained: string[] = [];
    for (let popped = await answerWorker.rpop(queue); popped !== null; popped = await answerWorker.rpop(queue)) {
      const found = classify(popped);
      assert.equal(found?.pattern, "answer", `${popped}: a queued answer key`);
      assert.equal(await answerWorker.get(popped), "42");
      // Persisted: the worker deletes the pending answer through the
      // event's plan, the one deletion its ACL allows.
      const persisted = events["answer.persisted"].plan({
        user_id: BigInt(found?.params["user_id"] ?? "x"),
        question_id: BigInt(found?.params["question_id"] ?? "x"),
      });
      assert.deepEqual(persisted, [{ store: "durable", keys: [popped] }], `${popped}: answer.persisted`);
      await runPlan(persisted, () => answerWorker);
      assert.equal(await exists("durable", popped), false, `${popped} left after answer.persisted`);
      if (live.delete(popped)) unlinked += 1;
      drained.push(popped);
    }
    assert.deepEqual(drained, answers, "first in, first out");
    // Least privilege: the worker may not delete a session.
    const session = buildKey("session", paramsFor(PATTERNS.session.params, 1));
    await assert.rejects(answerWorker.unlink(session), /NOPERM/, "the answer worker deleted a session");
  });

  await step("every connection ran its ready check", async () => {
    assert.equal(redisOptions.enableReadyCheck, true, "the policy asks for the ready check");
    assert.deepEqual(warnings.filter((w) => w.includes("ready check")), [], "a client skipped its ready check");
  });

  await step("every other key remains", async () => {
    const missing: string[] = [];
    await inChunks([...live.entries()], async ([k, w]) => {
      if (!(await exists(w.store, k)) && !mayHaveExpired(w)) missing.push(k);
    });
    assert.deepEqual(missing, [], "keys no plan named are still there");
    assert.equal(live.size, total - unlinked);
  });

  await step("re-populate for cachegen verify", async () => {
    live = await populate(false);
    const counts: { [pattern: string]: number } = {};
    for (const w of live.values()) counts[w.pattern] = (counts[w.pattern] ?? 0) + 1;
    writeFileSync(env("E2E_SUMMARY"), JSON.stringify({ counts, keys: live.size }));
  });
});

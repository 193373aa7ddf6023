// The client and warming part of the generated module against what the Rust
// test computed from the policy model (EXPECTED_JSON: `client`, `warming`).
// The assignments to ioredis's own option types make tsc refuse any shape
// ioredis would not accept; real ioredis clients then take the options.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from "ioredis";
import { WARMING, clusterOptions, redisOptions, type WarmingTask } from "./cache.js";

const asRedisOptions: RedisOptions = redisOptions;
const asClusterOptions: ClusterOptions = clusterOptions;
// The types are ioredis's real ones (not `any`): a wrong shape is refused.
// @ts-expect-error: connectTimeout is a number of milliseconds
const wrongRedis: RedisOptions = { connectTimeout: "10s" };
// @ts-expect-error: ioredis omits retryStrategy from a cluster's node options
const wrongCluster: ClusterOptions = { redisOptions: { retryStrategy: (times: number) => times } };

type Scalar = number | boolean;
interface Expected {
  readonly client: {
    readonly redis: { readonly [option: string]: Scalar };
    readonly cluster: { readonly [option: string]: Scalar };
    readonly clusterNodes: { readonly [option: string]: Scalar };
    /** `[times, delay]` pairs, or null when the policy declares no backoff. */
    readonly retry: readonly (readonly [number, number])[] | null;
    readonly clusterRetry: readonly (readonly [number, number])[] | null;
    readonly reconnectPrefixes: readonly string[];
  };
  readonly warming: readonly unknown[];
}
const expectedPath = process.env["EXPECTED_JSON"];
assert.ok(expectedPath !== undefined, "EXPECTED_JSON names the expected values");
const expected: Expected = JSON.parse(readFileSync(expectedPath, "utf8"));
const want = expected.client;

/** An options object's settings: functions by name, the rest as values. */
function split(options: object): { functions: string[]; values: { [option: string]: unknown } } {
  const functions: string[] = [];
  const values: { [option: string]: unknown } = {};
  for (const [name, value] of Object.entries(options)) {
    if (typeof value === "function") functions.push(name);
    else if (name !== "redisOptions") values[name] = value;
  }
  return { functions: functions.sort(), values };
}

function checkStrategy(strategy: unknown, pairs: readonly (readonly [number, number])[]): void {
  assert.equal(typeof strategy, "function");
  const call = strategy as (times: number) => number;
  for (const [times, delay] of pairs) {
    assert.equal(call(times), delay, `after ${times} attempts`);
  }
}

function checkReconnect(reconnect: unknown): void {
  assert.equal(typeof reconnect, "function");
  const call = reconnect as (err: Error) => boolean;
  for (const prefix of want.reconnectPrefixes) {
    assert.equal(call(new Error(`${prefix} the server says so`)), true, prefix);
    assert.equal(call(new Error(`ERR ${prefix} later in the message`)), false, prefix);
  }
  if (want.reconnectPrefixes.includes("READONLY")) {
    assert.equal(call(new Error("READONLY You can't write against a read only replica.")), true);
  }
  assert.equal(call(new Error("ERR other")), false);
}

test("redisOptions holds exactly the declared settings, durations in milliseconds", () => {
  const { functions, values } = split(asRedisOptions);
  assert.deepEqual(values, want.redis);
  const wantFunctions = [
    ...(want.retry === null ? [] : ["retryStrategy"]),
    ...(want.reconnectPrefixes.length === 0 ? [] : ["reconnectOnError"]),
  ].sort();
  assert.deepEqual(functions, wantFunctions);
  if (want.retry !== null) checkStrategy(asRedisOptions.retryStrategy, want.retry);
  if (want.reconnectPrefixes.length > 0) checkReconnect(asRedisOptions.reconnectOnError);
  assert.ok(Object.isFrozen(redisOptions));
});

test("clusterOptions: the cluster's settings, and each node's in redisOptions", () => {
  const top = split(asClusterOptions);
  assert.deepEqual(top.values, want.cluster);
  assert.deepEqual(top.functions, want.clusterRetry === null ? [] : ["clusterRetryStrategy"]);
  if (want.clusterRetry !== null) checkStrategy(asClusterOptions.clusterRetryStrategy, want.clusterRetry);
  const nodes = split(clusterOptions.redisOptions);
  assert.deepEqual(nodes.values, want.clusterNodes);
  assert.deepEqual(nodes.functions, want.reconnectPrefixes.length === 0 ? [] : ["reconnectOnError"]);
  if (want.reconnectPrefixes.length > 0) checkReconnect(asClusterOptions.redisOptions?.reconnectOnError);
  assert.ok(Object.isFrozen(clusterOptions) && Object.isFrozen(clusterOptions.redisOptions));
});

test("real ioredis clients take the options as given", () => {
  const redis = new Redis({ ...redisOptions, lazyConnect: true });
  const cluster = new Cluster([{ host: "127.0.0.1", port: 1 }], { ...clusterOptions, lazyConnect: true });
  try {
    for (const [name, value] of Object.entries(redisOptions)) {
      assert.equal((redis.options as { [option: string]: unknown })[name], value, name);
    }
    for (const [name, value] of Object.entries(clusterOptions)) {
      if (name !== "redisOptions") assert.equal((cluster.options as { [option: string]: unknown })[name], value, name);
    }
    assert.deepEqual({ ...cluster.options.redisOptions }, { ...clusterOptions.redisOptions });
  } finally {
    redis.disconnect();
    cluster.disconnect();
  }
});

test("WARMING holds the policy's tasks in order", () => {
  // Through Object.values, so the test also compiles when there are none.
  const tasks: readonly WarmingTask[] = Object.values(WARMING);
  assert.deepEqual(tasks, expected.warming);
  assert.deepEqual(
    Object.keys(WARMING),
    tasks.map((task) => task.name),
  );
  for (const task of tasks) {
    assert.ok(Object.isFrozen(task) && Object.isFrozen(task.keys));
  }
  assert.ok(Object.isFrozen(WARMING));
});

export { wrongRedis, wrongCluster };

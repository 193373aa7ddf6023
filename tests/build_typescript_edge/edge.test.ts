// The edge part of the generated module (ROUTES, cacheHeaders) against what
// the Rust test computed from the policy model with
// `render::cloudflare::origin_headers` (EXPECTED_JSON, `edge`), in a real
// Node http server on a loopback port.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { ROUTES, cacheHeaders, type HeaderSink, type RouteInfo, type RouteName } from "./cache.js";

interface ExpectedRoute {
  readonly route: string;
  readonly headers: readonly { readonly name: string; readonly value: string }[];
}
const expectedPath = process.env["EXPECTED_JSON"];
assert.ok(expectedPath !== undefined, "EXPECTED_JSON names the expected values");
const expected: readonly ExpectedRoute[] = JSON.parse(readFileSync(expectedPath, "utf8")).edge;

/** Every cache header a response could carry; only the route's may appear. */
const CACHE_HEADERS = ["cache-control", "cdn-cache-control", "cloudflare-cdn-cache-control", "vary", "surrogate-control", "expires", "pragma"];
/**
 * What earlier code (an app-wide default, CORS middleware) set before `cacheHeaders`: every
 * cache field but Vary must go unless the route sends it, and Vary keeps `Origin`.
 */
const STALE: readonly (readonly [string, string])[] = [
  ["Vary", "Origin"],
  ["CDN-Cache-Control", "max-age=600"],
  ["Cloudflare-CDN-Cache-Control", "max-age=600"],
  ["Surrogate-Control", "max-age=600"],
  ["Expires", "Thu, 01 Dec 2994 16:00:00 GMT"],
  ["Pragma", "no-cache"],
];
/** What Node's http server adds to every response by itself. */
const TRANSPORT_HEADERS = ["date", "connection", "keep-alive", "content-length", "transfer-encoding"];

// Through Object.values, so the tests also compile when RouteName is never.
const routeInfos: readonly RouteInfo[] = Object.values(ROUTES);
const routeNames: readonly RouteName[] = routeInfos.map((info) => info.name);

/** The route's headers as a client reads them: a repeated name once, its values joined by ", ". */
function asReceived(route: ExpectedRoute): Map<string, string> {
  const received = new Map<string, string>();
  for (const { name, value } of route.headers) {
    const key = name.toLowerCase();
    const before = received.get(key);
    received.set(key, before === undefined ? value : `${before}, ${value}`);
  }
  return received;
}

/** `Vary` names: those of `before`, then the route's, each once without case; `*` wins. */
function mergedVary(before: string, route: string | undefined): string {
  const names: string[] = [];
  for (const name of [...before.split(","), ...(route ?? "").split(",")].map((n) => n.trim())) {
    if (name === "*") {
      return "*";
    }
    if (name !== "" && !names.some((n) => n.toLowerCase() === name.toLowerCase())) {
      names.push(name);
    }
  }
  return names.join(", ");
}

/** What a response carries after STALE and then the route's `cacheHeaders`. */
function afterStale(route: ExpectedRoute): Map<string, string> {
  const want = asReceived(route);
  want.set("vary", mergedVary("Origin", want.get("vary")));
  return want;
}

/** An Express- or Fastify-like response: headers in a case-insensitive map, as both keep them. */
function fakeResponse(): { headers: Map<string, string>; get: (name: string) => string | undefined; set: (name: string, value: string) => void; remove: (name: string) => void } {
  const headers = new Map<string, string>();
  return {
    headers,
    get: (name) => headers.get(name.toLowerCase()),
    set: (name, value) => {
      headers.set(name.toLowerCase(), value);
    },
    remove: (name) => {
      headers.delete(name.toLowerCase());
    },
  };
}

test("ROUTES lists the policy's routes and headers in sending order, frozen", () => {
  assert.deepEqual(Object.keys(ROUTES), routeNames);
  assert.deepEqual(
    routeInfos.map((info) => {
      assert.equal(typeof info.matches, "string");
      assert.ok(info.matches.length > 0);
      assert.ok(Object.isFrozen(info) && Object.isFrozen(info.headers));
      return { route: info.name, headers: info.headers.map(([n, v]) => ({ name: n, value: v })) };
    }),
    expected.map((r) => ({ route: r.route, headers: r.headers.map((h) => ({ name: h.name, value: h.value })) })),
  );
  assert.ok(Object.isFrozen(ROUTES));
});

test("cacheHeaders in a real Node http server sends exactly each route's headers", async () => {
  const server = http.createServer((req, res) => {
    const [, kind, name] = (req.url ?? "").split("/");
    const route = routeNames.find((r) => r === name);
    if (route === undefined) {
      res.statusCode = 404;
      res.end();
      return;
    }
    if (kind === "conflicting") {
      // A handler that set its own caching first: the route's value must win.
      res.setHeader("Cache-Control", "public, max-age=999999");
    }
    if (kind === "stale") {
      // App-wide defaults and CORS set before the route's middleware.
      for (const [n, v] of STALE) {
        res.setHeader(n, v);
      }
    }
    cacheHeaders(route)(req, res);
    res.end("ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = server.address() as AddressInfo;
    for (const route of expected) {
      for (const kind of ["plain", "conflicting", "stale"]) {
        const want = kind === "stale" ? afterStale(route) : asReceived(route);
        const response = await fetch(`http://127.0.0.1:${port}/${kind}/${route.route}`);
        assert.equal(response.status, 200);
        await response.text();
        const got = new Map<string, string>();
        response.headers.forEach((value, name) => got.set(name, value));
        for (const [name, value] of want) {
          assert.equal(got.get(name), value, `${kind} ${route.route}: ${name}`);
        }
        for (const name of got.keys()) {
          assert.ok(
            want.has(name) || TRANSPORT_HEADERS.includes(name),
            `${kind} ${route.route}: unexpected header ${name}: ${got.get(name)}`,
          );
        }
        for (const name of CACHE_HEADERS) {
          assert.equal(got.has(name), want.has(name), `${kind} ${route.route}: cache header ${name}`);
        }
        if (kind === "stale" && !asReceived(route).has("cdn-cache-control")) {
          // The hazard itself: a private route must not carry a shared cache's TTL.
          assert.equal(got.get("cdn-cache-control"), undefined, route.route);
        }
        if (kind === "stale") {
          assert.ok(got.get("vary")?.split(",").map((n) => n.trim()).includes("Origin"), `${route.route}: CORS's Vary stays`);
        }
      }
    }
  } finally {
    await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  }
});

test("Express-style: cacheHeaders calls next exactly once, with no error", () => {
  for (const route of routeNames) {
    const set: [string, string][] = [];
    const calls: unknown[][] = [];
    const res = { setHeader: (name: string, value: string) => set.push([name, value]) };
    cacheHeaders(route)({}, res, (...args: unknown[]) => {
      calls.push(args);
    });
    assert.deepEqual(calls, [[]], route);
    assert.deepEqual(new Map(set.map(([n, v]) => [n.toLowerCase(), v])), asReceived(expectedRoute(route)));
  }
});

test("Fastify-like: a reply with only header() gets the route's headers", () => {
  for (const route of routeNames) {
    const set = new Map<string, string>();
    const reply = {
      header(name: string, value: string) {
        set.set(name.toLowerCase(), value);
        return reply;
      },
    };
    cacheHeaders(route)({}, reply);
    assert.deepEqual(set, asReceived(expectedRoute(route)));
  }
});

test("Express-like: stale cache fields are removed and Vary is merged, not replaced", () => {
  for (const route of routeNames) {
    const res = fakeResponse();
    for (const [n, v] of STALE) {
      res.set(n, v);
    }
    const calls: unknown[][] = [];
    const express = { setHeader: res.set, getHeader: res.get, removeHeader: res.remove };
    cacheHeaders(route)({}, express, (...args: unknown[]) => {
      calls.push(args);
    });
    assert.deepEqual(calls, [[]], route);
    assert.deepEqual(res.headers, afterStale(expectedRoute(route)), route);
  }
});

test("Fastify-like: a reply with header(), getHeader() and removeHeader() ends with the route's cache fields", () => {
  for (const route of routeNames) {
    const res = fakeResponse();
    for (const [n, v] of STALE) {
      res.set(n, v);
    }
    const reply = {
      header(name: string, value: string) {
        res.set(name, value);
        return reply;
      },
      getHeader: res.get,
      removeHeader(name: string) {
        res.remove(name);
        return reply;
      },
    };
    cacheHeaders(route)({}, reply);
    assert.deepEqual(res.headers, afterStale(expectedRoute(route)), route);
  }
});

test("Vary merging: `*` stays `*`, names already there are not repeated", () => {
  for (const route of routeNames) {
    const routeVary = asReceived(expectedRoute(route)).get("vary");
    for (const before of ["*", "origin, *", "Accept-Encoding, origin"]) {
      const res = fakeResponse();
      res.set("Vary", before);
      cacheHeaders(route)({}, { setHeader: res.set, getHeader: res.get, removeHeader: res.remove });
      assert.equal(res.get("Vary"), routeVary === undefined ? before : mergedVary(before, routeVary), `${route}: ${before}`);
    }
  }
  assert.equal(mergedVary("Accept-Encoding, origin", "accept-encoding, Origin"), "Accept-Encoding, origin");
});

test("a stale cache field that cannot be removed is an error, never left in place", () => {
  for (const route of routeNames) {
    if (asReceived(expectedRoute(route)).has("surrogate-control")) {
      continue;
    }
    const res = fakeResponse();
    res.set("Surrogate-Control", "max-age=600");
    const errors: unknown[] = [];
    cacheHeaders(route)({}, { setHeader: res.set, getHeader: res.get }, (err?: unknown) => errors.push(err));
    assert.equal(errors.length, 1, route);
    assert.ok(errors[0] instanceof TypeError && /Surrogate-Control/.test(errors[0].message), route);
  }
});

test("a response that cannot take headers is an error: to next when given, else thrown", () => {
  for (const route of routeNames) {
    const mute: HeaderSink = {};
    const errors: unknown[] = [];
    cacheHeaders(route)({}, mute, (err?: unknown) => errors.push(err));
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof TypeError);
    assert.throws(() => cacheHeaders(route)({}, mute), TypeError);
  }
  for (const name of ["no_such_route", "toString", "__proto__"]) {
    assert.throws(() => cacheHeaders(name as RouteName), /no edge route named/, name);
  }
});

// A name that is not a route does not compile.
// @ts-expect-error: not a RouteName
export const typo = (): unknown => cacheHeaders("no_such_route");

function expectedRoute(name: string): ExpectedRoute {
  const route = expected.find((r) => r.route === name);
  assert.ok(route !== undefined, name);
  return route;
}

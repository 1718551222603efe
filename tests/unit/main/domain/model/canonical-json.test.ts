// Canonical JSON: key order never changes the text, so hashes over it are stable.
import { test } from "node:test";
import assert from "node:assert/strict";
import { canonicalJson } from "../../../../../main/domain/model/canonical-json.ts";

test("keys are sorted at every depth; arrays keep their order; undefined fields vanish", () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [2, 1], c: null } }), '{"a":{"c":null,"d":[2,1]},"b":1}');
  assert.equal(canonicalJson({ x: 1, y: 2 }), canonicalJson({ y: 2, x: 1 }));
  assert.equal(canonicalJson({ a: undefined, b: 1 }), '{"b":1}');
  assert.notEqual(canonicalJson({ a: "1" }), canonicalJson({ a: 1 }));
});

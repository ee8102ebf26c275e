import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { KeySet } from "../../src/ingest/table/key-set.js";

describe("the reader's set of finished journal keys", () => {
  it("answers exactly as a Set of strings does, through growth and collisions (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.string({ unit: "grapheme", maxLength: 30 })), { maxLength: 3000 }),
        (operations) => {
          const compact = new KeySet();
          const plain = new Set<string>();
          for (const [add, key] of operations) {
            if (add) {
              compact.add(key);
              plain.add(key);
            } else assert.equal(compact.has(key), plain.has(key), key);
          }
          assert.equal(compact.size, plain.size);
          for (const key of plain) assert.ok(compact.has(key));
        },
      ),
      { numRuns: 50 },
    );
  });

  it("holds a million keys", () => {
    const keys = new KeySet();
    for (let i = 0; i < 1_000_000; i++) keys.add(`bench-${i}`);
    assert.equal(keys.size, 1_000_000);
    assert.ok(keys.has("bench-0") && keys.has("bench-999999") && !keys.has("bench-1000000"));
  });
});

/**
 * The emulator's $metadata held to facts of real F&O metadata (test/fixtures/fno-metadata.json, from
 * a public snapshot of a live environment's metadata; docs/emulator.md cites it). Every listed set,
 * key and property exists with that type and nullability, the emulator serves no property a real set
 * lacks, and its enums carry real members only. The CSDL is read by a third-party converter
 * (odata-csdl) and validated against OASIS's own XML schemas (xmllint-wasm), in both scenarios.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { validateXML } from "xmllint-wasm";
import type { RunningEmulator } from "../../src/emulator/index.js";
import { appToken, call, startTestEmulator } from "../helpers/emulator.js";

const require = createRequire(import.meta.url);
const { xml2json } = require("odata-csdl") as { xml2json(xml: string): Record<string, any> };

interface Facts {
  entitySets: Record<
    string,
    { keys: string[]; properties: Record<string, { type: string | { enum: string }; nullable: boolean }> }
  >;
  enums: Record<string, string[]>;
}
const FACTS: Facts = JSON.parse(
  readFileSync(new URL("../fixtures/fno-metadata.json", import.meta.url), "utf8"),
);
const NS = "Microsoft.Dynamics.DataEntities";
/** Enums of which the emulator serves a chosen part (F&O's have some fifty and 250 members). */
const PARTIAL_ENUMS = new Set(["LedgerJournalType", "LedgerPostingType"]);

const emulators: Record<string, { emulator: RunningEmulator; metadata: string }> = {};

before(async () => {
  for (const scenario of ["default", "csrf-gateway"] as const) {
    const emulator = await startTestEmulator({ scenario });
    const token = await appToken(emulator);
    const answer = await call(emulator, "GET", "/data/$metadata", { token });
    assert.equal(answer.status, 200);
    emulators[scenario] = { emulator, metadata: answer.body };
  }
});
after(async () => {
  for (const { emulator } of Object.values(emulators)) await emulator.close();
});

/** The emulator's CSDL as odata-csdl reads it: entity set → its type's keys and properties. */
function served(metadata: string) {
  const csdl = xml2json(metadata);
  const schema = csdl[NS];
  const container = Object.values(schema).find((element: any) => element.$Kind === "EntityContainer") as any;
  const sets = new Map<
    string,
    { keys: string[]; properties: Map<string, { type: string; nullable: boolean }> }
  >();
  for (const [name, set] of Object.entries(container)) {
    if (name.startsWith("$")) continue;
    const typeName = String((set as any).$Type).slice(NS.length + 1);
    const type = schema[typeName];
    const properties = new Map<string, { type: string; nullable: boolean }>();
    for (const [property, definition] of Object.entries(type)) {
      if (property.startsWith("$")) continue;
      // CSDL JSON: $Type defaults to Edm.String and $Nullable to false.
      properties.set(property, {
        type: (definition as any).$Type ?? "Edm.String",
        nullable: (definition as any).$Nullable === true,
      });
    }
    sets.set(name, { keys: type.$Key, properties });
  }
  const enums = new Map<string, Array<[string, number]>>();
  for (const [name, element] of Object.entries(schema)) {
    if ((element as any).$Kind !== "EnumType") continue;
    enums.set(
      name,
      Object.entries(element as object)
        .filter(([member]) => !member.startsWith("$"))
        .map(([member, value]) => [member, Number(value)]),
    );
  }
  return { sets, enums };
}

const typeName = (type: string | { enum: string }) =>
  typeof type === "string" ? type : `${NS}.${type.enum}`;

describe("the emulator's $metadata against real F&O metadata", () => {
  for (const scenario of ["default", "csrf-gateway"]) {
    it(`${scenario}: every listed set has the real keys, property types and nullability`, () => {
      const { sets } = served(emulators[scenario]?.metadata ?? "");
      for (const [name, facts] of Object.entries(FACTS.entitySets)) {
        const set = sets.get(name);
        assert.ok(set, `${name} is served`);
        assert.deepEqual(set.keys, facts.keys, `${name}: keys`);
        for (const [property, fact] of Object.entries(facts.properties)) {
          const found = set.properties.get(property);
          assert.ok(found, `${name}.${property} is served`);
          assert.equal(found.type, typeName(fact.type), `${name}.${property}: type`);
          assert.equal(found.nullable, fact.nullable, `${name}.${property}: nullable`);
        }
        for (const property of set.properties.keys())
          assert.ok(property in facts.properties, `${name}.${property} is a real property`);
      }
    });

    it(`${scenario}: enums carry real members only, all of them where the emulator serves the whole enum`, () => {
      const { enums } = served(emulators[scenario]?.metadata ?? "");
      for (const [name, real] of Object.entries(FACTS.enums)) {
        const members = enums.get(name);
        assert.ok(members, `enum ${name} is served`);
        // The numbers behind the members are not in the public metadata: only the names are held.
        for (const [member] of members)
          assert.ok(real.includes(member), `${name}.${member} is a real member`);
        if (!PARTIAL_ENUMS.has(name))
          assert.deepEqual(
            members.map(([member]) => member),
            real,
            `${name}: all members`,
          );
      }
    });

    it(`${scenario}: the CSDL is valid against OASIS's edmx.xsd and edm.xsd`, async () => {
      const schemas = join(dirname(require.resolve("odata-csdl/package.json")), "schemas");
      const result = await validateXML({
        xml: { fileName: "metadata.xml", contents: emulators[scenario]?.metadata ?? "" },
        schema: { fileName: "edmx.xsd", contents: readFileSync(join(schemas, "edmx.xsd"), "utf8") },
        preload: [{ fileName: "edm.xsd", contents: readFileSync(join(schemas, "edm.xsd"), "utf8") }],
      });
      assert.deepEqual(
        result.errors.map((error) => error.message),
        [],
      );
      assert.equal(result.valid, true);
    });
  }
});

/** The service document and the CSDL `$metadata` for the entity sets a scenario serves. */
import { ENUMS, type EntitySetDef, edmTypeName, isNullable, NAMESPACE } from "../entities.js";

const escapeXml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/"/g, "&quot;");

export function metadataXml(defs: readonly EntitySetDef[]): string {
  const lines = [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">',
    "<edmx:DataServices>",
    `<Schema Namespace="${NAMESPACE}" xmlns="http://docs.oasis-open.org/odata/ns/edm">`,
  ];
  for (const def of defs) {
    lines.push(`<EntityType Name="${escapeXml(def.entityType)}">`);
    lines.push(`<Key>${def.keys.map((key) => `<PropertyRef Name="${key}"/>`).join("")}</Key>`);
    for (const field of def.fields) {
      const attributes = [`Name="${field.name}"`, `Type="${edmTypeName(field.type)}"`];
      if (!isNullable(def, field)) attributes.push('Nullable="false"');
      if (field.maxLength !== undefined) attributes.push(`MaxLength="${field.maxLength}"`);
      if (field.type === "Edm.Decimal") attributes.push('Precision="32"', 'Scale="16"');
      lines.push(`<Property ${attributes.join(" ")}/>`);
    }
    lines.push("</EntityType>");
  }
  for (const [name, members] of Object.entries(ENUMS)) {
    lines.push(`<EnumType Name="${name}">`);
    for (const [member, value] of members) lines.push(`<Member Name="${member}" Value="${value}"/>`);
    lines.push("</EnumType>");
  }
  lines.push('<EntityContainer Name="Resources">');
  for (const def of defs)
    lines.push(`<EntitySet Name="${def.name}" EntityType="${NAMESPACE}.${def.entityType}"/>`);
  lines.push("</EntityContainer>", "</Schema>", "</edmx:DataServices>", "</edmx:Edmx>");
  return `${lines.join("\n")}\n`;
}

export function serviceDocument(origin: string, defs: readonly EntitySetDef[]) {
  return {
    "@odata.context": `${origin}/data/$metadata`,
    value: defs.map((def) => ({ name: def.name, kind: "EntitySet", url: def.name })),
  };
}

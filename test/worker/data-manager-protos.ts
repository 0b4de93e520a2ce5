/**
 * Google's own description of the Data Manager API, as the check of what we send: the protos of
 * its official Node client (@google-ads/datamanager, a devDependency: protos.json, the compiled
 * google/ads/datamanager/v1 protos). A request body is read as proto3 JSON (lowerCamelCase field
 * names, enums by name, Timestamp as RFC 3339): every key a field of its message, every enum value
 * one the proto names (never *_UNSPECIFIED), every REQUIRED field (google.api.field_behavior) set,
 * at most one member of a oneof.
 */
import protosJson from "@google-ads/datamanager/build/protos/protos.json?raw";

interface Field {
  type: string;
  rule?: string;
  options?: Record<string, unknown>;
}
interface ProtoNode {
  nested?: Record<string, ProtoNode>;
  fields?: Record<string, Field>;
  values?: Record<string, number>;
  oneofs?: Record<string, { oneof: string[] }>;
}

const root = JSON.parse(protosJson) as ProtoNode;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

function at(path: readonly string[]): ProtoNode | undefined {
  let node: ProtoNode | undefined = root;
  for (const part of path) node = node?.nested?.[part];
  return node;
}

/** A type name as protobufjs resolves it: from the innermost scope outwards. */
function resolve(name: string, scope: readonly string[]): { node: ProtoNode; path: string[] } {
  for (let i = scope.length; i >= 0; i--) {
    const path = [...scope.slice(0, i), ...name.split(".")];
    const node = at(path);
    if (node) return { node, path };
  }
  throw new Error(`unknown proto type ${name}`);
}

function scalar(type: string, v: unknown, where: string, problems: string[]): boolean {
  const bad = (what: string) => problems.push(`${where}: ${what}, got ${JSON.stringify(v)}`);
  switch (type) {
    case "string":
      if (typeof v !== "string") bad("a string");
      return true;
    case "bool":
      if (typeof v !== "boolean") bad("a boolean");
      return true;
    case "double":
    case "float":
      if (typeof v !== "number" || !Number.isFinite(v)) bad("a number");
      return true;
    case "int32":
    case "uint32":
      if (!Number.isInteger(v)) bad("an integer");
      return true;
    case "int64":
    case "uint64":
      if (!Number.isInteger(v) && !(typeof v === "string" && /^-?\d+$/.test(v))) bad("an integer");
      return true;
    default:
      return false;
  }
}

function value(field: Field, v: unknown, scope: readonly string[], where: string, problems: string[]): void {
  if (scalar(field.type, v, where, problems)) return;
  if (field.type === "google.protobuf.Timestamp") {
    if (typeof v !== "string" || !RFC3339.test(v)) problems.push(`${where}: an RFC 3339 timestamp, got ${JSON.stringify(v)}`);
    return;
  }
  const { node, path } = resolve(field.type, scope);
  if (node.values) {
    if (typeof v !== "string" || !(v in node.values) || v.endsWith("_UNSPECIFIED"))
      problems.push(`${where}: one of ${Object.keys(node.values).join(", ")}, got ${JSON.stringify(v)}`);
    return;
  }
  message(node, path, v, where, problems);
}

function message(node: ProtoNode, path: readonly string[], v: unknown, where: string, problems: string[]): void {
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    problems.push(`${where}: a ${path.at(-1)} object, got ${JSON.stringify(v)}`);
    return;
  }
  const fields = node.fields ?? {};
  const obj = v as Record<string, unknown>;
  for (const [key, item] of Object.entries(obj)) {
    const field = fields[key];
    if (!field) {
      problems.push(`${where}.${key}: not a field of ${path.at(-1)}`);
      continue;
    }
    if (field.rule === "repeated") {
      if (!Array.isArray(item)) problems.push(`${where}.${key}: a list`);
      else
        item.forEach((x, i) => {
          value(field, x, path, `${where}.${key}[${i}]`, problems);
        });
    } else value(field, item, path, `${where}.${key}`, problems);
  }
  for (const [key, field] of Object.entries(fields)) {
    const set = obj[key] !== undefined && !(Array.isArray(obj[key]) && obj[key].length === 0);
    if (field.options?.["(google.api.field_behavior)"] === "REQUIRED" && !set) problems.push(`${where}.${key}: required by ${path.at(-1)}`);
  }
  for (const [name, { oneof }] of Object.entries(node.oneofs ?? {}))
    if (oneof.filter((k) => obj[k] !== undefined).length > 1) problems.push(`${where}: more than one of oneof ${name} (${oneof.join(", ")})`);
}

/** What in `body` breaks google.ads.datamanager.v1.<type> (empty: nothing). */
export function protoProblems(type: string, body: unknown): string[] {
  const path = ["google", "ads", "datamanager", "v1", type];
  const node = at(path);
  if (!node?.fields) throw new Error(`no message ${type} in the Data Manager protos`);
  const problems: string[] = [];
  message(node, path, body, type, problems);
  return problems;
}

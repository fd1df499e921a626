// Validates AsyncAPI documents from `webhook-bridge --asyncapi` (files given as arguments):
// 1. against the AsyncAPI 3.0.0 JSON Schema (@asyncapi/specs, pinned), with Ajv;
// 2. every local $ref resolves, and each operation's messages are messages of its channel
//    (rules of the specification that its JSON Schema cannot express);
// 3. with --fixtures DIR: every documented Mono body in DIR is accepted by the payload schema of
//    a message on each topic its type is routed to (--routes FILE: JSON {fixture: [topics]}),
//    and rejected by every message whose ce_type cannot be its type.
// Prints one line per failure; exits 1 on any.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import specs from "@asyncapi/specs";

const args = process.argv.slice(2);
let fixtures = null, routes = null;
const files = [];
for (let i = 0; i < args.length; ++i) {
  if (args[i] === "--fixtures") fixtures = args[++i];
  else if (args[i] === "--routes") routes = JSON.parse(readFileSync(args[++i], "utf8"));
  else files.push(args[i]);
}

// The bundled specification schema carries the draft-07 meta-schema itself: one Ajv without
// its own copy for the specification, another for the payload schemas (plain draft-07).
const specAjv = new Ajv({ allErrors: true, strict: false, meta: false, validateSchema: false });
addFormats(specAjv);
const validate = specAjv.compile(specs.schemas["3.0.0"]);
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
let failures = 0;
const fail = (file, msg) => { console.log(`${file}: ${msg}`); ++failures; };

function resolve(doc, ref) {
  if (!ref.startsWith("#/")) return undefined;
  let node = doc;
  for (const raw of ref.slice(2).split("/")) {
    const tok = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (node === null || typeof node !== "object" || !(tok in node)) return undefined;
    node = node[tok];
  }
  return node;
}

function walkRefs(doc, node, path, file) {
  if (Array.isArray(node)) node.forEach((v, i) => walkRefs(doc, v, `${path}/${i}`, file));
  else if (node && typeof node === "object") {
    if (typeof node.$ref === "string" && resolve(doc, node.$ref) === undefined)
      fail(file, `${path}: $ref ${node.$ref} does not resolve`);
    for (const [k, v] of Object.entries(node)) walkRefs(doc, v, `${path}/${k}`, file);
  }
}

const deref = (doc, n) => (n && n.$ref ? deref(doc, resolve(doc, n.$ref)) : n);

for (const file of files) {
  const doc = JSON.parse(readFileSync(file, "utf8"));
  if (!validate(doc))
    for (const e of validate.errors) fail(file, `schema: ${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`);
  walkRefs(doc, doc, "", file);
  for (const [name, op] of Object.entries(doc.operations || {})) {
    const ch = op.channel && op.channel.$ref;
    for (const m of op.messages || [])
      if (!m.$ref || !m.$ref.startsWith(`${ch}/messages/`))
        fail(file, `operation ${name}: message ${m.$ref} is not one of ${ch}'s`);
  }
  if (fixtures === null) continue;
  // every fixture is accepted on each of its topics, by a message whose schema was derived
  const byAddress = {};
  for (const ch of Object.values(doc.channels)) byAddress[ch.address] = ch;
  for (const name of readdirSync(fixtures).filter((f) => f.endsWith(".json")).sort()) {
    const body = JSON.parse(readFileSync(join(fixtures, name), "utf8"));
    for (const topic of (routes && routes[name]) || []) {
      const ch = byAddress[topic];
      if (!ch) { fail(file, `${name}: no channel for topic ${topic}`); continue; }
      const msgs = Object.values(ch.messages).map((m) => deref(doc, m));
      const derived = msgs.filter((m) => !String(m.payload.description || "").includes("no documented example"));
      const ok = derived.some((m) => ajv.validate(m.payload, body));
      if (!ok) fail(file, `${name}: rejected by every derived payload schema on ${topic}`);
      // a type's schema names its type: another type's body is refused
      const other = { ...body, event: body.event + ".not-this-one" };
      if (derived.some((m) => ajv.validate(m.payload, other)))
        fail(file, `${name}: a body of another type is accepted on ${topic}`);
    }
  }
}
if (failures === 0) console.log(`${files.length} document(s) valid`);
process.exit(failures === 0 ? 0 : 1);

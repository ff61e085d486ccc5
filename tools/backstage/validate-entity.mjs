#!/usr/bin/env node
// Validate Backstage catalog files the way the catalog itself does when it ingests them.
//
//   node tools/backstage/validate-entity.mjs FILE... [--json]
//
// Each FILE is parsed as YAML (every document in it), then each entity goes through:
//   1. the entity policies the catalog backend applies by default (CatalogBuilder):
//      SchemaValidEntityPolicy, DefaultNamespaceEntityPolicy,
//      NoForeignRootFieldsEntityPolicy and FieldFormatEntityPolicy (tags, labels,
//      annotation keys, names, link URLs);
//   2. the kind validators of the built-in kinds (BuiltinKindsEntityProcessor): one of
//      them must recognise the entity, and the one that does checks its spec;
//   3. the entity references the built-in kinds turn into relations (spec.owner,
//      spec.system, ...), parsed as the processor parses them.
// Prints one line per entity (or a JSON report with --json); exits 0 when every entity is
// valid, 1 when any is not, 2 on a usage error or when @backstage/catalog-model is missing.
//
// The packages come from the folder in BACKSTAGE_NODE_MODULES, or from .tools/node/ at
// the repository root, where `make install` puts them (versions pinned in the
// package-lock.json next to this script).

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const modules = resolve(
  process.env.BACKSTAGE_NODE_MODULES ?? join(here, '..', '..', '.tools', 'node', 'node_modules'),
);

const args = process.argv.slice(2);
const asJson = args.includes('--json');
const files = args.filter(arg => arg !== '--json');
if (files.length === 0) {
  console.error('usage: validate-entity.mjs FILE... [--json]');
  process.exit(2);
}

let model;
let YAML;
try {
  const require = createRequire(join(modules, 'noop.js'));
  model = require('@backstage/catalog-model');
  YAML = require('yaml');
} catch (error) {
  console.error(`@backstage/catalog-model or yaml not found in ${modules}: run make install (${error.message})`);
  process.exit(2);
}

const {
  DefaultNamespaceEntityPolicy,
  EntityPolicies,
  FieldFormatEntityPolicy,
  NoForeignRootFieldsEntityPolicy,
  SchemaValidEntityPolicy,
  makeValidator,
  parseEntityRef,
  apiEntityV1alpha1Validator,
  componentEntityV1alpha1Validator,
  domainEntityV1alpha1Validator,
  groupEntityV1alpha1Validator,
  locationEntityV1alpha1Validator,
  resourceEntityV1alpha1Validator,
  systemEntityV1alpha1Validator,
  userEntityV1alpha1Validator,
} = model;

const policy = EntityPolicies.allOf([
  new SchemaValidEntityPolicy(),
  new DefaultNamespaceEntityPolicy(),
  new NoForeignRootFieldsEntityPolicy(),
  new FieldFormatEntityPolicy(makeValidator()),
]);

const kindValidators = [
  apiEntityV1alpha1Validator,
  componentEntityV1alpha1Validator,
  domainEntityV1alpha1Validator,
  groupEntityV1alpha1Validator,
  locationEntityV1alpha1Validator,
  resourceEntityV1alpha1Validator,
  systemEntityV1alpha1Validator,
  userEntityV1alpha1Validator,
];

// The references BuiltinKindsEntityProcessor turns into relations, with the kind it
// assumes when the reference does not name one.
const references = {
  Component: { owner: 'Group', system: 'System', subcomponentOf: 'Component', dependsOn: 'Component', dependencyOf: 'Component', providesApis: 'API', consumesApis: 'API' },
  API: { owner: 'Group', system: 'System' },
  Resource: { owner: 'Group', system: 'System', dependsOn: 'Component', dependencyOf: 'Component' },
  System: { owner: 'Group', domain: 'Domain' },
  Domain: { owner: 'Group', subdomainOf: 'Domain' },
};

function checkReferences(entity) {
  const fields = references[entity.kind] ?? {};
  const namespace = entity.metadata.namespace ?? 'default';
  for (const [field, defaultKind] of Object.entries(fields)) {
    const value = entity.spec?.[field];
    for (const ref of [value].flat().filter(v => v !== undefined)) {
      try {
        parseEntityRef(ref, { defaultKind, defaultNamespace: namespace });
      } catch (error) {
        throw new Error(`spec.${field}: ${error.message}`);
      }
    }
  }
}

async function validate(entity) {
  const enforced = await policy.enforce(entity);
  if (!enforced) {
    throw new Error('rejected by the entity policies');
  }
  let recognised = false;
  for (const validator of kindValidators) {
    if (await validator.check(enforced)) {
      recognised = true;
      break;
    }
  }
  if (!recognised) {
    throw new Error(`no built-in kind validator recognises apiVersion ${entity.apiVersion}, kind ${entity.kind}`);
  }
  checkReferences(enforced);
  const namespace = enforced.metadata.namespace ?? 'default';
  return `${enforced.kind.toLowerCase()}:${namespace}/${enforced.metadata.name}`;
}

const results = [];
for (const file of files) {
  let documents;
  try {
    documents = YAML.parseAllDocuments(readFileSync(file, 'utf8'));
  } catch (error) {
    results.push({ file, document: 0, ok: false, error: error.message });
    continue;
  }
  for (const [index, document] of documents.entries()) {
    const where = { file, document: index + 1 };
    if (document.errors.length > 0) {
      results.push({ ...where, ok: false, error: document.errors.map(e => e.message).join('; ') });
      continue;
    }
    const entity = document.toJS();
    if (entity === null || entity === undefined) {
      continue; // an empty document, as after a trailing ---
    }
    if (typeof entity !== 'object' || Array.isArray(entity)) {
      results.push({ ...where, ok: false, error: 'the document is not an object' });
      continue;
    }
    try {
      results.push({ ...where, ok: true, entity: await validate(entity) });
    } catch (error) {
      results.push({ ...where, ok: false, error: error.message });
    }
  }
}

const ok = results.length > 0 && results.every(result => result.ok);
if (asJson) {
  console.log(JSON.stringify({ ok, results }, null, 2));
} else {
  for (const result of results) {
    const where = `${result.file}#${result.document}`;
    console.log(result.ok ? `ok      ${where}: ${result.entity}` : `invalid ${where}: ${result.error}`);
  }
  if (results.length === 0) {
    console.log('no entities found');
  }
}
process.exit(ok ? 0 : 1);

#!/usr/bin/env node
/*
 * peer_ajv: the schema-validation peer of `make bench`, what teams run
 * today (the kubeconform approach): parse every document with js-yaml and
 * validate each Istio resource with ajv against the OpenAPI v3 schema of
 * its CRD (group, version and kind from apiVersion/kind), converted to
 * JSON Schema the way kubeconform's openapi2jsonschema does:
 *   - x-kubernetes-int-or-string: integer or string;
 *   - nullable: null allowed as well;
 *   - strict: additionalProperties false wherever properties are listed,
 *     unless x-kubernetes-preserve-unknown-fields (kubectl --validate=strict);
 *   - apiVersion, kind and metadata allowed at the top.
 * CEL rules (x-kubernetes-validations) are not evaluated, formats are not
 * checked, and nothing is cross-referenced: this checks far less than
 * meshc. Kinds without a CRD in the file (Services, ...) are parsed and
 * counted but not validated.
 *
 * Usage: node peer_ajv.js --crd CRD.yaml PATH...
 * Prints one error per line and a summary; exit 0 clean, 1 errors, 2 usage.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const yaml = require('js-yaml');
const Ajv = require('ajv');

/* Converts one OpenAPI v3 (structural) schema node to JSON Schema. */
function convert(node) {
	if (Array.isArray(node))
		return node.map(convert);
	if (node === null || typeof node !== 'object')
		return node;
	const out = {};
	for (const [k, v] of Object.entries(node)) {
		if (k.startsWith('x-kubernetes-') || k === 'description' || k === 'nullable' || k === 'format')
			continue;
		if (k === 'properties') {
			out.properties = {};
			for (const [pk, pv] of Object.entries(v))
				out.properties[pk] = convert(pv);
		} else {
			out[k] = convert(v);
		}
	}
	if (node['x-kubernetes-int-or-string']) {
		delete out.type;
		out.anyOf = [{ type: 'integer' }, { type: 'string' }];
	}
	if (node.properties && !node['x-kubernetes-preserve-unknown-fields'] &&
	    out.additionalProperties === undefined)
		out.additionalProperties = false;
	if (node.nullable && typeof out.type === 'string')
		out.type = [out.type, 'null'];
	return out;
}

/* Reads the CRD file: a map "group/version/Kind" -> JSON Schema. */
function loadCrds(file) {
	const schemas = new Map();
	for (const crd of yaml.loadAll(fs.readFileSync(file, 'utf8'))) {
		if (!crd || crd.kind !== 'CustomResourceDefinition' || !crd.spec)
			continue;
		for (const v of crd.spec.versions || []) {
			const s = v.schema && v.schema.openAPIV3Schema;
			if (!s)
				continue;
			const js = convert(s);
			js.properties = Object.assign({
				apiVersion: { type: 'string' },
				kind: { type: 'string' },
				metadata: { type: 'object' },
			}, js.properties || {});
			schemas.set(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`, js);
		}
	}
	return schemas;
}

/* Every *.yaml / *.yml under the paths, sorted, hidden directories skipped. */
function walk(p, files) {
	const st = fs.statSync(p);
	if (!st.isDirectory()) {
		files.push(p);
		return;
	}
	for (const name of fs.readdirSync(p).sort()) {
		if (name.startsWith('.'))
			continue;
		const sub = path.join(p, name);
		if (fs.statSync(sub).isDirectory() || /\.ya?ml$/.test(name))
			walk(sub, files);
	}
}

function main(argv) {
	let crdFile = null;
	const paths = [];
	for (let i = 0; i < argv.length; i++) {
		if (argv[i] === '--crd' && i + 1 < argv.length)
			crdFile = argv[++i];
		else
			paths.push(argv[i]);
	}
	if (!crdFile || paths.length === 0) {
		process.stderr.write('usage: node peer_ajv.js --crd CRD.yaml PATH...\n');
		return 2;
	}
	const schemas = loadCrds(crdFile);
	const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
	const validators = new Map();
	const files = [];
	for (const p of paths)
		walk(p, files);
	let docs = 0, validated = 0, skipped = 0, errors = 0;
	for (const f of files) {
		let all;
		try {
			all = yaml.loadAll(fs.readFileSync(f, 'utf8'));
		} catch (e) {
			process.stdout.write(`${f}: ${e.message.split('\n')[0]}\n`);
			errors++;
			continue;
		}
		for (const doc of all) {
			if (doc === null || doc === undefined)
				continue;
			docs++;
			const key = `${doc.apiVersion}/${doc.kind}`;
			if (!schemas.has(key)) {
				skipped++;
				continue;
			}
			let validate = validators.get(key);
			if (!validate) {
				validate = ajv.compile(schemas.get(key));
				validators.set(key, validate);
			}
			validated++;
			if (!validate(doc)) {
				const md = doc.metadata || {};
				for (const e of validate.errors) {
					process.stdout.write(`${f}: ${doc.kind} ${md.namespace}/${md.name}: ` +
						`${e.instancePath || '/'} ${e.message}\n`);
					errors++;
				}
			}
		}
	}
	process.stderr.write(`peer_ajv: files=${files.length} documents=${docs} ` +
		`validated=${validated} skipped=${skipped} errors=${errors}\n`);
	return errors ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));

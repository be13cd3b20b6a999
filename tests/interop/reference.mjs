#!/usr/bin/env node
/**
 * Runs requests against Digital Bazaar's JavaScript VC stack, offline.
 *
 * Reads one JSON value on stdin: a request object, or a list of them (one
 * process start serves the whole list). Writes the response, or the list of
 * responses in request order, as JSON on stdout.
 *
 * Requests:
 *   {"op": "sign", "document": {...}, "suite": "eddsa-rdfc-2022",
 *    "keyPair": {"publicKeyMultibase": "z6Mk...",
 *                "secretKeyMultibase": "z3u2..."},
 *    "created": "2024-01-01T00:00:00Z", "purpose": "assertionMethod",
 *    "challenge": "...", "domain": "..."}
 *   {"op": "signPresentation", ...same fields, purpose is authentication}
 *   {"op": "verify", "document": {...}, "suite": "eddsa-rdfc-2022",
 *    "challenge": "...", "domain": "...", "now": "...",
 *    "credentialChecks": true}
 * `suite` is eddsa-rdfc-2022, eddsa-jcs-2022 or Ed25519Signature2020; a
 * verify request without `suite` accepts all three.
 *
 * Responses: {"document": {...}} after signing, {"verified": bool,
 * "errors": [...]} after verifying, {"error": "..."} when a request fails.
 * Exit status 2 means stdin was not valid JSON.
 */
import {createDocumentLoader, handleRequest} from './reference-stack.mjs';

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function main() {
  const text = await readStdin();
  let input;
  try {
    input = JSON.parse(text);
  } catch(error) {
    process.stderr.write(
      `reference.mjs: stdin is not valid JSON (${error.message}); send one ` +
      'request object or a list of them.\n');
    process.exitCode = 2;
    return;
  }
  const documentLoader = createDocumentLoader();
  const requests = Array.isArray(input) ? input : [input];
  const responses = [];
  // Requests run one after another so that timings and failures stay
  // attributable to a single request.
  for(const request of requests) {
    responses.push(await handleRequest(request, {documentLoader}));
  }
  const output = Array.isArray(input) ? responses : responses[0];
  process.stdout.write(JSON.stringify(output) + '\n');
}

await main();

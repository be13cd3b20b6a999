#!/usr/bin/env node
/**
 * Runs Bitstring Status List requests against Digital Bazaar's
 * `@digitalbazaar/vc-bitstring-status-list`, offline.
 *
 * Reads one JSON value on stdin: a request object, or a list of them (one
 * process start serves the whole list). Writes the response, or the list of
 * responses in request order, as JSON on stdout.
 *
 * Requests:
 *   {"op": "create", "id": "https://issuer.example/status/1",
 *    "indexes": [0, 65536], "statusPurpose": "revocation",
 *    "length": 131072, "validFrom": "2024-01-01T00:00:00Z",
 *    "created": "2024-01-01T00:00:00Z",
 *    "keyPair": {"publicKeyMultibase": "z6Mk...",
 *                "secretKeyMultibase": "z3u2..."}}
 *     Builds the list with `createList`, sets each index, wraps it with
 *     `createCredential`, adds the key's DID as `issuer` and signs it with
 *     eddsa-rdfc-2022. `length` (default 131072), `statusPurpose` (default
 *     revocation), `validFrom` and `created` (default now) are optional.
 *   {"op": "check", "credential": {...}, "statusListCredential": {...},
 *    "verifyStatusListCredential": true, "verifyMatchingIssuers": true}
 *     Runs `checkStatus` on `credential`. The document loader serves
 *     `statusListCredential` at its `id`, the bundled contexts and did:key.
 *     With `verifyStatusListCredential` (default true) the list's
 *     eddsa-rdfc-2022 proof is verified first.
 *   {"op": "decode", "statusListCredential": {...}, "indexes": [0, 1]}
 *     Reads each index with `decodeList` + `getStatus`, without checking
 *     the proof.
 *
 * Responses: {"document": {...}} after create; {"verified": bool,
 * "results": [{"statusPurpose", "statusListIndex", "status"}], "errors":
 * [...]} after check; {"length": bits, "statuses": [bool, ...]} after
 * decode; {"error": "..."} when a request fails. Exit status 2 means stdin
 * was not valid JSON.
 */
import {
  checkStatus,
  createCredential,
  createList,
  decodeList
} from '@digitalbazaar/vc-bitstring-status-list';

import {
  createDocumentLoader,
  createVerifyingSuites,
  importKeyPair,
  signWithKey
} from './reference-stack.mjs';

// Bitstring Status List v1.0 requires at least 131,072 entries per list.
const DEFAULT_LENGTH = 131072;

function requireIndexes(indexes) {
  if(!Array.isArray(indexes) ||
    !indexes.every(index => Number.isInteger(index) && index >= 0)) {
    throw new TypeError(
      '"indexes" must be a list of integers >= 0, got ' +
      `${JSON.stringify(indexes)}.`);
  }
  return indexes;
}

function requireObject(value, name) {
  if(!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`"${name}" must be a JSON object.`);
  }
  return value;
}

/** Builds, fills and signs a status list credential. */
async function create(request, {documentLoader}) {
  const {
    id, statusPurpose = 'revocation', length = DEFAULT_LENGTH, validFrom,
    created
  } = request;
  const indexes = requireIndexes(request.indexes ?? []);
  const key = await importKeyPair(request.keyPair);
  const list = await createList({length});
  for(const index of indexes) {
    list.setStatus(index, true);
  }
  const credential = await createCredential({id, list, statusPurpose});
  credential.issuer = key.controller;
  if(validFrom !== undefined) {
    credential.validFrom = validFrom;
  }
  return signWithKey(
    {document: credential, key, suite: 'eddsa-rdfc-2022', created},
    {documentLoader});
}

/**
 * Wraps the bundled-context loader so that it also serves one status list
 * credential at the URL in its `id`.
 */
function loaderWithStatusList(statusListCredential, {documentLoader}) {
  requireObject(statusListCredential, 'statusListCredential');
  const url = statusListCredential.id;
  if(typeof url !== 'string') {
    throw new TypeError('"statusListCredential.id" must be its URL.');
  }
  return async function statusListLoader(requested) {
    if(requested === url) {
      return {
        contextUrl: null,
        documentUrl: url,
        document: structuredClone(statusListCredential)
      };
    }
    return documentLoader(requested);
  };
}

/** Runs the package's `checkStatus` on a credential's status entries. */
async function check(request, {documentLoader}) {
  const credential = requireObject(request.credential, 'credential');
  const loader = loaderWithStatusList(
    request.statusListCredential, {documentLoader});
  const result = await checkStatus({
    credential: structuredClone(credential),
    documentLoader: loader,
    suite: createVerifyingSuites({suite: 'eddsa-rdfc-2022'}),
    verifyBitstringStatusListCredential:
      request.verifyStatusListCredential ?? true,
    verifyMatchingIssuers: request.verifyMatchingIssuers ?? true
  });
  const results = (result.results ?? []).map(item => ({
    statusPurpose: item.credentialStatus.statusPurpose,
    statusListIndex: item.credentialStatus.statusListIndex,
    status: item.status
  }));
  const errors = result.error ? [result.error.message ?? String(result.error)] :
    [];
  return {verified: result.verified === true, results, errors};
}

/** Reads indexes of a status list with `decodeList` + `getStatus`. */
async function decode(request) {
  const credential = requireObject(
    request.statusListCredential, 'statusListCredential');
  const indexes = requireIndexes(request.indexes);
  const {encodedList} = requireObject(
    credential.credentialSubject, 'statusListCredential.credentialSubject');
  const list = await decodeList({encodedList});
  return {
    length: list.length,
    statuses: indexes.map(index => list.getStatus(index))
  };
}

/**
 * Runs one request object and returns its response object. A failure is
 * returned as `{error}` so one bad request does not stop a batch.
 */
async function handleRequest(request, {documentLoader}) {
  try {
    requireObject(request, 'request');
    switch(request.op) {
      case 'create':
        return {document: await create(request, {documentLoader})};
      case 'check':
        return await check(request, {documentLoader});
      case 'decode':
        return await decode(request);
      default:
        throw new TypeError(
          `unknown op "${request.op}", expected create, check or decode.`);
    }
  } catch(error) {
    return {error: error?.message ?? String(error)};
  }
}

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
      `status_list.mjs: stdin is not valid JSON (${error.message}); send one ` +
      'request object or a list of them.\n');
    process.exitCode = 2;
    return;
  }
  const documentLoader = createDocumentLoader();
  const requests = Array.isArray(input) ? input : [input];
  const responses = [];
  for(const request of requests) {
    responses.push(await handleRequest(request, {documentLoader}));
  }
  const output = Array.isArray(input) ? responses : responses[0];
  process.stdout.write(JSON.stringify(output) + '\n');
}

await main();

/**
 * Digital Bazaar's JavaScript Verifiable Credentials stack, set up to run
 * offline: the document loader serves only the repository's bundled
 * `contexts/` folder (checked against the sha256 digests in `contexts.json`)
 * and resolves `did:key` URLs locally. Any other URL fails with an error that
 * names it, so nothing is fetched over the network.
 *
 * `reference.mjs` (the JSON command line tool used by the Python tests) and
 * `bench/bench_reference.mjs` both build on the functions exported here.
 */
import {createHash} from 'node:crypto';
import {readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

import * as vc from '@digitalbazaar/vc';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {driver as didKeyDriver} from '@digitalbazaar/did-method-key';
import {Ed25519Signature2020} from '@digitalbazaar/ed25519-signature-2020';
import {
  cryptosuite as eddsaRdfc2022CryptoSuite
} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {
  createSignCryptosuite as createJcsSignCryptosuite,
  createVerifyCryptosuite as createJcsVerifyCryptosuite
} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import jsigs from 'jsonld-signatures';

const {AssertionProofPurpose, AuthenticationProofPurpose} = jsigs.purposes;

export const SUITES = ['eddsa-rdfc-2022', 'eddsa-jcs-2022',
  'Ed25519Signature2020'];
export const PURPOSES = ['assertionMethod', 'authentication'];

const HERE = dirname(fileURLToPath(import.meta.url));
export const CONTEXTS_DIR = join(HERE, '..', '..', 'contexts');

/**
 * Builds a document loader over the bundled contexts and local did:key
 * resolution. Each context file is read and digest-checked once.
 */
export function createDocumentLoader({contextsDir = CONTEXTS_DIR} = {}) {
  const manifest = JSON.parse(
    readFileSync(join(contextsDir, 'contexts.json'), 'utf8')).contexts;
  const cache = new Map();
  const didKey = didKeyDriver();
  didKey.use({
    multibaseMultikeyHeader: 'z6Mk',
    fromMultibase: Ed25519Multikey.from
  });

  return async function documentLoader(url) {
    if(url.startsWith('did:key:')) {
      const document = await didKey.get({url});
      return {contextUrl: null, documentUrl: url, document};
    }
    let document = cache.get(url);
    if(document === undefined) {
      const entry = manifest[url];
      if(!entry) {
        throw new Error(
          `JSON-LD document "${url}" is not in the bundled contexts ` +
          '(contexts/contexts.json) and the reference loader never fetches ' +
          'over the network; bundle the context first.');
      }
      const raw = readFileSync(join(contextsDir, entry.file));
      const digest = createHash('sha256').update(raw).digest('hex');
      if(digest !== entry.sha256) {
        throw new Error(
          `bundled context ${entry.file} for "${url}" has sha256 ${digest}, ` +
          `expected ${entry.sha256}`);
      }
      document = JSON.parse(raw.toString('utf8'));
      cache.set(url, document);
    }
    return {contextUrl: null, documentUrl: url, document};
  };
}

/**
 * Imports a Multikey key pair (`publicKeyMultibase`, `secretKeyMultibase`).
 * The older name `privateKeyMultibase` (used by the W3C test vectors) is
 * accepted too. Without an explicit `id` the key is published as the did:key
 * verification method `did:key:<key>#<key>`.
 */
export async function importKeyPair(keyPair) {
  if(!keyPair || typeof keyPair !== 'object') {
    throw new TypeError(
      '"keyPair" must be an object with publicKeyMultibase and ' +
      'secretKeyMultibase.');
  }
  const {publicKeyMultibase} = keyPair;
  const secretKeyMultibase =
    keyPair.secretKeyMultibase ?? keyPair.privateKeyMultibase;
  if(typeof publicKeyMultibase !== 'string' ||
    typeof secretKeyMultibase !== 'string') {
    throw new TypeError(
      '"keyPair" is missing publicKeyMultibase or secretKeyMultibase.');
  }
  const controller = keyPair.controller ?? `did:key:${publicKeyMultibase}`;
  const id = keyPair.id ?? `${controller}#${publicKeyMultibase}`;
  return Ed25519Multikey.from({
    type: 'Multikey', id, controller, publicKeyMultibase, secretKeyMultibase
  });
}

/** Builds the signing suite for `suite` with a fixed `created` (or now). */
export function createSigningSuite({suite, key, created}) {
  const date = created ?? undefined;
  const signer = key.signer();
  switch(suite) {
    case 'eddsa-rdfc-2022':
      return new DataIntegrityProof(
        {signer, date, cryptosuite: eddsaRdfc2022CryptoSuite});
    case 'eddsa-jcs-2022':
      return new DataIntegrityProof(
        {signer, date, cryptosuite: createJcsSignCryptosuite()});
    case 'Ed25519Signature2020':
      return new Ed25519Signature2020({key, date});
    default:
      throw new TypeError(
        `unsupported suite "${suite}", expected one of ${SUITES.join(', ')}.`);
  }
}

/** Builds the verifying suites: `suite` alone, or all three when omitted. */
export function createVerifyingSuites({suite} = {}) {
  const all = {
    'eddsa-rdfc-2022': () => new DataIntegrityProof(
      {cryptosuite: eddsaRdfc2022CryptoSuite}),
    'eddsa-jcs-2022': () => new DataIntegrityProof(
      {cryptosuite: createJcsVerifyCryptosuite()}),
    Ed25519Signature2020: () => new Ed25519Signature2020()
  };
  if(suite === undefined || suite === null) {
    return Object.values(all).map(build => build());
  }
  const build = all[suite];
  if(!build) {
    throw new TypeError(
      `unsupported suite "${suite}", expected one of ${SUITES.join(', ')}.`);
  }
  return [build()];
}

function isPresentation(document) {
  return [].concat(document?.type ?? []).includes('VerifiablePresentation');
}

/**
 * Signs `document` with an imported `key` and returns the signed copy.
 *
 * With purpose `assertionMethod` a credential goes through `vc.issue`, which
 * runs the library's credential checks first. Any other document, or purpose
 * `authentication`, goes through `jsigs.sign` with the matching proof purpose.
 */
export async function signWithKey({
  document, key, suite, created, challenge, domain,
  purpose = 'assertionMethod'
}, {documentLoader}) {
  if(!PURPOSES.includes(purpose)) {
    throw new TypeError(
      `unsupported purpose "${purpose}", expected one of ` +
      `${PURPOSES.join(', ')}.`);
  }
  const signingSuite = createSigningSuite({suite, key, created});
  const copy = structuredClone(document);
  if(purpose === 'authentication') {
    return jsigs.sign(copy, {
      suite: signingSuite, documentLoader,
      purpose: new AuthenticationProofPurpose({challenge, domain})
    });
  }
  if([].concat(copy?.type ?? []).includes('VerifiableCredential')) {
    return vc.issue({credential: copy, suite: signingSuite, documentLoader});
  }
  return jsigs.sign(copy, {
    suite: signingSuite, documentLoader, purpose: new AssertionProofPurpose()
  });
}

/** Imports `request.keyPair` and signs `request.document` with it. */
export async function sign(request, {documentLoader}) {
  const key = await importKeyPair(request.keyPair);
  return signWithKey({...request, key}, {documentLoader});
}

/** Signs a presentation for `authentication` with `challenge` and `domain`. */
export async function signPresentation(request, {documentLoader}) {
  const {document, keyPair, suite, created, challenge, domain} = request;
  const key = await importKeyPair(keyPair);
  const signingSuite = createSigningSuite({suite, key, created});
  return vc.signPresentation({
    presentation: structuredClone(document), suite: signingSuite,
    challenge, domain, documentLoader
  });
}

/**
 * Verifies a credential (`vc.verifyCredential`) or a presentation
 * (`vc.verify` with `challenge` and `domain`, which also verifies every
 * embedded credential). With `credentialChecks: false` only the proof is
 * verified (`jsigs.verify` with an assertionMethod purpose), which the W3C
 * vectors need because their issuer is not the key's controller.
 */
export async function verify(request, {documentLoader}) {
  const {document, suite, challenge, domain, now} = request;
  const suites = createVerifyingSuites({suite});
  const copy = structuredClone(document);
  let result;
  if(request.credentialChecks === false) {
    result = await jsigs.verify(copy, {
      suite: suites, documentLoader, purpose: new AssertionProofPurpose()
    });
  } else if(isPresentation(copy)) {
    result = await vc.verify({
      presentation: copy, suite: suites, challenge, domain, now,
      documentLoader
    });
  } else {
    result = await vc.verifyCredential({
      credential: copy, suite: suites, now, documentLoader
    });
  }
  return {verified: result.verified === true, errors: collectErrors(result)};
}

/** Collects the error messages of a jsigs / vc result, nested ones too. */
function collectErrors(result) {
  const messages = [];
  const seen = new Set();
  const visit = error => {
    if(!error || seen.has(error)) {
      return;
    }
    seen.add(error);
    if(Array.isArray(error)) {
      error.forEach(visit);
      return;
    }
    if(Array.isArray(error.errors)) {
      error.errors.forEach(visit);
    } else if(error.message) {
      messages.push(error.message);
    }
  };
  visit(result.error);
  for(const item of [].concat(result.results ?? [],
    result.credentialResults ?? [],
    result.presentationResult ? [result.presentationResult] : [])) {
    visit(item.error);
    for(const inner of item.results ?? []) {
      visit(inner.error);
    }
  }
  return [...new Set(messages)];
}

/**
 * Runs one request object and returns its response object. A failure inside
 * the stack is returned as `{error}` so one bad request does not stop a batch.
 */
export async function handleRequest(request, {documentLoader}) {
  try {
    if(!request || typeof request !== 'object' || Array.isArray(request)) {
      throw new TypeError('each request must be a JSON object with an "op".');
    }
    switch(request.op) {
      case 'sign':
        return {document: await sign(request, {documentLoader})};
      case 'signPresentation':
        return {document: await signPresentation(request, {documentLoader})};
      case 'verify':
        return await verify(request, {documentLoader});
      default:
        throw new TypeError(
          `unknown op "${request.op}", expected sign, signPresentation or ` +
          'verify.');
    }
  } catch(error) {
    return {error: error?.message ?? String(error)};
  }
}

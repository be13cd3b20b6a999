#!/usr/bin/env node
/**
 * Measures sign or verify throughput of Digital Bazaar's JavaScript VC stack
 * on one input; `bench_proofs.py` starts one process per case.
 *
 * Reads one JSON request on stdin:
 *   {"op": "sign" | "verify", "suite": "eddsa-rdfc-2022", "document": {...},
 *    "keyPair": {...} (sign only), "created": "...", "seconds": 2,
 *    "minIterations": 5, "warmupIterations": 3}
 * or {"op": "baseline"}, which only starts, imports the stack and exits.
 * and writes {"iterations": n, "seconds": s, "opsPerSecond": n / s} on stdout.
 * The npm packages come from `tests/interop/node_modules` (run
 * `npm ci --prefix tests/interop` first).
 */
import {performance} from 'node:perf_hooks';

import {
  createDocumentLoader, importKeyPair, signWithKey, verify
} from '../tests/interop/reference-stack.mjs';

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/**
 * Builds the operation to time. The operation throws when signing returns no
 * proof or when verification fails, so a broken setup cannot look fast.
 */
async function createOperation(request, documentLoader) {
  const {op, suite, document, created} = request;
  if(op === 'sign') {
    const key = await importKeyPair(request.keyPair);
    return async () => {
      const signed = await signWithKey(
        {document, key, suite, created}, {documentLoader});
      if(!signed.proof) {
        throw new Error('signing returned a document without a proof');
      }
    };
  }
  if(op === 'verify') {
    return async () => {
      const result = await verify({document, suite}, {documentLoader});
      if(!result.verified) {
        throw new Error(
          `the reference stack did not verify the input: ${result.errors}`);
      }
    };
  }
  throw new TypeError(`unknown op "${op}", expected sign or verify`);
}

async function main() {
  const request = await readStdin();
  const seconds = request.seconds ?? 2;
  const minIterations = request.minIterations ?? 5;
  const warmupIterations = request.warmupIterations ?? 3;
  if(request.op === 'baseline') {
    // Peak memory of a process that only starts and imports the stack.
    process.stdout.write(JSON.stringify(
      {iterations: 0, seconds: 0, opsPerSecond: 0}) + '\n');
    return;
  }
  const documentLoader = createDocumentLoader();
  const operation = await createOperation(request, documentLoader);

  // Warm-up runs load the contexts and fill the JSON-LD caches, as in a
  // long-running service; they are not timed.
  for(let i = 0; i < warmupIterations; i++) {
    await operation();
  }
  let iterations = 0;
  const start = performance.now();
  let elapsed = 0;
  while(iterations < minIterations || elapsed < seconds) {
    await operation();
    iterations++;
    elapsed = (performance.now() - start) / 1000;
  }
  process.stdout.write(JSON.stringify({
    iterations, seconds: elapsed, opsPerSecond: iterations / elapsed
  }) + '\n');
}

await main();

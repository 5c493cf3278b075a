#!/usr/bin/env node
/*
 * ort_time.js: times ONNX Runtime (npm onnxruntime-node) on one model, one
 * thread (intraOpNumThreads 1, interOpNumThreads 1, sequential execution,
 * all graph optimizations), for bench/vs_ort.sh.
 *
 *   node ort_time.js MODEL.onnx RUNS IN.pb ...
 *
 * Inputs are TensorProto files in graph-input order (read with the reader of
 * tests/models/ort_ref.js).  Warms up 3 runs, then times RUNS runs and prints
 * "median_ms MEDIAN min_ms MIN" (wall clock, process.hrtime).
 */
'use strict';
const path = require('path');
const fs = require('fs');
const ref = require(path.join(__dirname, '..', 'tests', 'models', 'ort_ref.js'));

async function main() {
  const [model, runsArg, ...files] = process.argv.slice(2);
  const ort = ref.loadOrt();
  if (!ort) {
    console.error('ort_time: onnxruntime-node is not installed (run ./setup.sh)');
    process.exit(3);
  }
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'all'});
  const feeds = {};
  session.inputNames.forEach((name, k) => { feeds[name] = ref.tensorToOrt(ort, ref.decodeTensor(fs.readFileSync(files[k]))); });
  for (let r = 0; r < 3; r++) await session.run(feeds);
  const runs = Math.max(1, parseInt(runsArg, 10) || 1), ms = [];
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ms.sort((a, b) => a - b);
  console.log(`median_ms ${ms[runs >> 1].toFixed(4)} min_ms ${ms[0].toFixed(4)}`);
}

main().catch((e) => { console.error('ort_time: ' + e.message); process.exit(1); });

#!/usr/bin/env node
/*
 * ort_ref.js: reference outputs from ONNX Runtime (npm onnxruntime-node).
 *
 *   node ort_ref.js MODEL.onnx DIR [--zeros]
 *
 * reads DIR/input_K.pb (ONNX TensorProto files, one per graph input without
 * an initializer, in graph order), runs the model on one thread
 * (intraOpNumThreads 1) and writes DIR/output_K.pb for every graph output.
 * With --zeros the inputs are zero tensors of the model's declared shapes
 * (used to check the onnx-backend `light` models).  A TensorProto is a tiny
 * protobuf message, so it is read and written by hand here (fields 1 dims,
 * 2 data_type, 4/5/7/10/11 typed data, 8 name, 9 raw_data).
 *
 * onnxruntime-node is looked up in $DLCC_ORT_NODE, then in the repository's
 * .deps/node_modules (installed by setup.sh), then on the normal Node path.
 * Exit status 3 means onnxruntime-node is not installed.
 */
'use strict';
const fs = require('fs');
const path = require('path');

function loadOrt() {
  const tries = [];
  if (process.env.DLCC_ORT_NODE) tries.push(process.env.DLCC_ORT_NODE);
  tries.push(path.join(__dirname, '..', '..', '.deps', 'node_modules', 'onnxruntime-node'));
  tries.push('onnxruntime-node');
  for (const t of tries) {
    try {
      return require(t);
    } catch (e) {
      if (e.code !== 'MODULE_NOT_FOUND') throw e;
    }
  }
  return null;
}

// ---- protobuf wire format, just enough for TensorProto

function readVarint(buf, pos) {
  let result = 0n, shift = 0n;
  for (;;) {
    const b = buf[pos.i++];
    result |= BigInt(b & 0x7f) << shift;
    if (!(b & 0x80)) return result;
    shift += 7n;
  }
}

function writeVarint(out, v) {
  v = BigInt.asUintN(64, BigInt(v));
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
}

const TYPES = {
  1: ['float32', Float32Array, 4], 2: ['uint8', Uint8Array, 1], 3: ['int8', Int8Array, 1],
  4: ['uint16', Uint16Array, 2], 5: ['int16', Int16Array, 2], 6: ['int32', Int32Array, 4],
  7: ['int64', BigInt64Array, 8], 9: ['bool', Uint8Array, 1], 10: ['float16', Uint16Array, 2],
  11: ['float64', Float64Array, 8], 12: ['uint32', Uint32Array, 4],
  13: ['uint64', BigUint64Array, 8],
};
const CODE_OF = {};
for (const [code, t] of Object.entries(TYPES)) CODE_OF[t[0]] = Number(code);

function decodeTensor(buf) {
  const pos = {i: 0};
  const t = {dims: [], dataType: 0, name: '', raw: null, values: []};
  while (pos.i < buf.length) {
    const key = Number(readVarint(buf, pos));
    const field = key >> 3, wire = key & 7;
    if (wire === 0) {
      const v = readVarint(buf, pos);
      if (field === 1) t.dims.push(Number(v));
      else if (field === 2) t.dataType = Number(v);
      else t.values.push(v);
    } else if (wire === 2) {
      const len = Number(readVarint(buf, pos));
      const chunk = buf.subarray(pos.i, pos.i + len);
      pos.i += len;
      if (field === 8) t.name = chunk.toString('utf8');
      else if (field === 9) t.raw = Buffer.from(chunk);
      else if (field === 1) {
        const p = {i: 0};
        while (p.i < chunk.length) t.dims.push(Number(readVarint(chunk, p)));
      } else if (field === 4) {
        for (let o = 0; o < chunk.length; o += 4) t.values.push(chunk.readFloatLE(o));
      } else if (field === 10) {
        for (let o = 0; o < chunk.length; o += 8) t.values.push(chunk.readDoubleLE(o));
      } else if (field === 5 || field === 7 || field === 11) {
        const p = {i: 0};
        while (p.i < chunk.length) t.values.push(readVarint(chunk, p));
      }
      // other length-delimited fields (doc_string, segment, ...) are ignored
    } else if (wire === 5) {
      if (field === 4) t.values.push(buf.readFloatLE(pos.i));
      pos.i += 4;
    } else if (wire === 1) {
      if (field === 10) t.values.push(buf.readDoubleLE(pos.i));
      pos.i += 8;
    } else {
      throw new Error('unsupported protobuf wire type ' + wire);
    }
  }
  return t;
}

function tensorToOrt(ort, t) {
  const ty = TYPES[t.dataType];
  if (!ty) throw new Error('unsupported dtype ' + t.dataType);
  const [name, Arr, size] = ty;
  const count = t.dims.reduce((a, b) => a * b, 1);
  let data;
  if (t.raw) {
    const copy = Buffer.alloc(t.raw.length);
    t.raw.copy(copy);
    data = new Arr(copy.buffer, copy.byteOffset, count);
  } else {
    data = new Arr(count);
    for (let k = 0; k < count; k++) {
      const v = t.values[k];
      data[k] = (Arr === BigInt64Array) ? BigInt.asIntN(64, BigInt(v))
        : (Arr === BigUint64Array) ? BigInt.asUintN(64, BigInt(v)) : Number(v);
    }
  }
  if (name === 'bool') data = Uint8Array.from(data, (x) => (x ? 1 : 0));
  void size;
  return new ort.Tensor(name, data, t.dims);
}

function encodeTensor(name, tensor) {
  const code = CODE_OF[tensor.type];
  if (!code) throw new Error('unsupported output type ' + tensor.type);
  const out = [];
  for (const d of tensor.dims) {
    out.push(0x08);
    writeVarint(out, d);
  }
  out.push(0x10);
  writeVarint(out, code);
  const nameBuf = Buffer.from(name, 'utf8');
  out.push(0x42);
  writeVarint(out, nameBuf.length);
  const head = Buffer.from(out);
  const d = tensor.data;
  const raw = Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  const rawHead = [0x4a];
  writeVarint(rawHead, raw.length);
  return Buffer.concat([head, nameBuf, Buffer.from(rawHead), raw]);
}

async function main() {
  const args = process.argv.slice(2);
  const zeros = args.includes('--zeros');
  const [model, dir] = args.filter((a) => a !== '--zeros');
  if (!model || !dir) {
    console.error('usage: node ort_ref.js MODEL.onnx DIR [--zeros]');
    process.exit(2);
  }
  const ort = loadOrt();
  if (!ort) {
    console.error('ort_ref.js: onnxruntime-node is not installed (run ./setup.sh)');
    process.exit(3);
  }
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: 1, interOpNumThreads: 1, executionProviders: ['cpu'],
  });
  const feeds = {};
  session.inputNames.forEach((name, k) => {
    if (zeros) {
      const meta = session.inputMetadata ? session.inputMetadata[k] : null;
      const shape = meta && meta.shape ? meta.shape.map((d) => (typeof d === 'number' ? d : 1)) : null;
      if (!shape) throw new Error('--zeros needs the input shape of ' + name);
      const count = shape.reduce((a, b) => a * b, 1);
      feeds[name] = new ort.Tensor('float32', new Float32Array(count), shape);
    } else {
      const t = decodeTensor(fs.readFileSync(path.join(dir, `input_${k}.pb`)));
      feeds[name] = tensorToOrt(ort, t);
    }
  });
  const results = await session.run(feeds);
  session.outputNames.forEach((name, k) => {
    fs.writeFileSync(path.join(dir, `output_${k}.pb`), encodeTensor(name, results[name]));
  });
  console.log(`ort_ref.js: ${path.basename(model)}: wrote ${session.outputNames.length} output(s) to ${dir}`);
}

if (require.main === module) {
  main().catch((e) => {
    console.error('ort_ref.js: ' + (e && e.message ? e.message : e));
    process.exit(1);
  });
}

module.exports = {decodeTensor, encodeTensor, loadOrt, tensorToOrt};

#!/usr/bin/python3
"""ImageDecoder end to end: dlcc-generated C against Pillow, bit for bit.

    /usr/bin/python3 tests/image/check_images.py [--dlcc build/dlcc] [--cc clang] [-v] [-k SUBSTRING]

For every image of a set made here (with Pillow, or written by hand for the
variants Pillow cannot write: top-down, 32-bit, 4-bit and OS/2 BMP,
big-endian and multi-strip TIFF, interlaced / 16-bit / every PNG filter and
deflate block type, JPEG with restart markers, non-interleaved scans,
4:4:0 and 4:1:1 sampling, 16-bit quantisation tables; lossless WebP with
every transform; lossy WebP from Pillow and, through ctypes, from the same libwebp with the encoder
options Pillow does not expose: simple loop filter, sharpness, token
partitions, segment counts; JPEG 2000 from Pillow's OpenJPEG, reversible, with
every option Pillow exposes: resolutions, code-block sizes, precinct sizes,
quality layers, progression orders, tiles, offsets, MCT, JP2 or raw; and
irreversible 9/7) it builds an ONNX
model with one ImageDecoder node per image (opset 20, made by hand: Debian's
onnx 1.12 does not know the operator; two models in all, compiled in
parallel) whose outputs are declared [H, W, C], compiles it with dlcc and
the C compiler with a small driver, runs it and compares every output with
what the ONNX reference computes with Pillow (convert("RGB"), BGR reversed,
convert("L")), exactly.  Also: an image whose size differs from the
declared shape must make net_run return -3; unsupported data (GIF,
animated WebP, LZW TIFF) -1; truncated files a negative code under AddressSanitizer/UBSan;
and the decoder alone, compiled with the sanitizers, must survive every
prefix and many randomly corrupted copies of a sample of the files.
Prints "N passed, N failed"; exits 1 on a failure.
"""

import argparse
import ctypes
import io
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import onnx
from onnx import TensorProto, helper
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

DRIVER = r"""
#include "net.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static size_t numel(const dlcc_tensor_desc *d) {
    size_t n = 1;
    for (int i = 0; i < d->rank; i++) n *= (size_t)d->dims[i];
    return n;
}
/* run IN_0 .. IN_{NI-1} OUT_0 .. OUT_{NO-1}: prints net_run's result */
int main(int argc, char **argv) {
    if (argc != 1 + NET_NUM_INPUTS + NET_NUM_OUTPUTS) return 2;
    const void *ins[NET_NUM_INPUTS];
    void *outs[NET_NUM_OUTPUTS];
    for (int i = 0; i < NET_NUM_INPUTS; i++) {
        size_t n = numel(&net_inputs[i]);
        unsigned char *in = malloc(n ? n : 1); /* exactly n bytes: the sanitizer sees overreads */
        FILE *f = fopen(argv[1 + i], "rb");
        if (!f || fread(in, 1, n, f) != n) return 2;
        fclose(f);
        ins[i] = in;
    }
    for (int k = 0; k < NET_NUM_OUTPUTS; k++) {
        outs[k] = malloc(numel(&net_outputs[k]));
        memset(outs[k], 0xAB, numel(&net_outputs[k]));
    }
    void *state = aligned_alloc(64, (NET_STATE_SIZE + 63) / 64 * 64 + 64);
    if (net_init(state) != 0) return 2;
    int rc = net_run(state, ins, outs);
    printf("%d\n", rc);
    for (int k = 0; k < NET_NUM_OUTPUTS; k++) {
        FILE *f = fopen(argv[1 + NET_NUM_INPUTS + k], "wb");
        fwrite(outs[k], 1, numel(&net_outputs[k]), f);
        fclose(f);
        free(outs[k]);
    }
    for (int i = 0; i < NET_NUM_INPUTS; i++) free((void *)ins[i]);
    free(state);
    return 0;
}
"""

# Every prefix of a sample of files, and randomly corrupted copies, through
# the decoder alone (sanitized).
FUZZ = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
%s
%s
int main(int argc, char **argv) {
    int bad = 0;
    for (int a = 1; a + 2 < argc; a += 3) {
        long h = atol(argv[a + 1]), w = atol(argv[a + 2]);
        FILE *f = fopen(argv[a], "rb");
        if (!f) return 2;
        static unsigned char buf[1 << 20];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        long wsn = 32768 + 9 * (w + 32) * (h + 32) + 4 * (w + 32) + (long)n + h * (8 * w + 8) + 64;
        long j2k = 32768 + 40 * w * h + 1536 * (w + h) + 40 * (long)n + 524288; /* codegen/emit_image.c */
        if (j2k > wsn) wsn = j2k;
        unsigned char *ws = malloc((size_t)wsn), *out = malloc((size_t)(h * w * 3));
        for (size_t k = 0; k <= n; k += (n > 2000 ? 3 : 1)) {
            unsigned char *in = malloc(k ? k : 1);
            memcpy(in, buf, k);
            int rc = dlcc_img_decode(in, (int64_t)k, out, h, w, (int)(k %% 3), ws, wsn);
            if (rc != 0 && rc != -1 && rc != -3) bad++;
            if (k == n && rc != 0) { fprintf(stderr, "%%s: full file rc %%d\n", argv[a], rc); bad++; }
            free(in);
        }
        /* random byte changes: lengths, counts, codes and offsets gone wrong */
        unsigned seed = 12345u;
        for (int t = 0; t < 300 && n > 0; t++) {
            unsigned char *in = malloc(n);
            memcpy(in, buf, n);
            for (int c = 0; c < 1 + t %% 4; c++) {
                seed = seed * 1103515245u + 12345u;
                size_t at = (seed >> 8) %% n;
                seed = seed * 1103515245u + 12345u;
                in[at] = (unsigned char)(t & 1 ? in[at] ^ (1u << ((seed >> 16) & 7)) : (seed >> 16));
            }
            int rc = dlcc_img_decode(in, (int64_t)n, out, h, w, t %% 3, ws, wsn);
            if (rc != 0 && rc != -1 && rc != -3) bad++;
            free(in);
        }
        free(ws); free(out);
    }
    printf("%%d\n", bad);
    return bad != 0;
}
"""


# ---------------------------------------------------------------- image writers

def pil_bytes(im, fmt, **kw):
    b = io.BytesIO()
    im.save(b, fmt, **kw)
    return b.getvalue()


def png_chunk(t, data):
    return struct.pack(">I", len(data)) + t + data + struct.pack(">I", zlib.crc32(t + data) & 0xFFFFFFFF)


def png_filter_rows(raw_rows, bpp, rng):
    """raw_rows: list of bytes; returns filtered stream with assorted filters."""
    out = bytearray()
    prev = bytes(len(raw_rows[0])) if raw_rows else b""
    for row in raw_rows:
        f = int(rng.integers(0, 5))
        r = np.frombuffer(row, np.uint8).astype(np.int32)
        p = np.frombuffer(prev, np.uint8).astype(np.int32)
        a = np.concatenate([np.zeros(bpp, np.int32), r[:-bpp]]) if len(r) else r
        c = np.concatenate([np.zeros(bpp, np.int32), p[:-bpp]]) if len(p) else p
        if f == 0:
            fr = r
        elif f == 1:
            fr = r - a
        elif f == 2:
            fr = r - p
        elif f == 3:
            fr = r - ((a + p) >> 1)
        else:
            pp = a + p - c
            pa, pb, pc = abs(pp - a), abs(pp - p), abs(pp - c)
            pred = np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, p, c))
            fr = r - pred
        out.append(f)
        out += (fr & 255).astype(np.uint8).tobytes()
        prev = row
    return bytes(out)


def png_write(arr, ct, depth, rng, interlace=0, palette=None, zmode="default"):
    """arr: H x W x ch samples (ints); packs, filters, deflates."""
    h, w = arr.shape[:2]
    ch = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ct]
    bpp = max(1, ch * depth // 8)

    def rows_of(sub):
        rows = []
        for y in range(sub.shape[0]):
            s = sub[y].reshape(-1)
            if depth == 16:
                rows.append(s.astype(">u2").tobytes())
            elif depth == 8:
                rows.append(s.astype(np.uint8).tobytes())
            else:
                per = 8 // depth
                bits = bytearray((len(s) + per - 1) // per)
                for i, v in enumerate(s):
                    bits[i // per] |= int(v) << ((per - 1 - i % per) * depth)
                rows.append(bytes(bits))
        return rows

    if interlace:
        stream = b""
        for x0, y0, dx, dy in [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]:
            sub = arr[y0::dy, x0::dx]
            if sub.shape[0] and sub.shape[1]:
                stream += png_filter_rows(rows_of(sub), bpp, rng)
    else:
        stream = png_filter_rows(rows_of(arr), bpp, rng)
    if zmode == "stored":
        z = zlib.compress(stream, 0)
    elif zmode == "fixed":
        co = zlib.compressobj(6, zlib.DEFLATED, 15, 9, zlib.Z_FIXED)
        z = co.compress(stream) + co.flush()
    else:
        z = zlib.compress(stream, 9)
    out = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ct, 0, 0, interlace))
    if palette is not None:
        out += png_chunk(b"PLTE", bytes(palette))
    half = len(z) // 2  # two IDAT chunks
    out += png_chunk(b"IDAT", z[:half]) + png_chunk(b"IDAT", z[half:]) + png_chunk(b"IEND", b"")
    return out


def bmp_write(arr, top_down=False, bits=24):
    h, w = arr.shape[:2]
    stride = (bits * w + 31) // 32 * 4
    rows = []
    for y in range(h):
        r = arr[y][:, ::-1]  # BGR
        if bits == 32:
            r = np.concatenate([r, np.full((w, 1), 0x7F, np.uint8)], axis=1)
        b = r.astype(np.uint8).tobytes()
        rows.append(b + bytes(stride - len(b)))
    if not top_down:
        rows = rows[::-1]
    data = b"".join(rows)
    info = struct.pack("<IiiHHIIiiII", 40, w, -h if top_down else h, 1, bits, 0, len(data), 2835, 2835, 0, 0)
    off = 14 + len(info)
    return b"BM" + struct.pack("<IHHI", off + len(data), 0, 0, off) + info + data


def bmp_write_indexed(idx, pal, bits, os2=False):
    """idx: H x W palette indices; pal: list of (r, g, b)."""
    h, w = idx.shape
    stride = (bits * w + 31) // 32 * 4
    rows = []
    for y in range(h - 1, -1, -1):
        row = bytearray(stride)
        for x in range(w):
            per = 8 // bits
            row[x // per] |= int(idx[y, x]) << ((per - 1 - x % per) * bits)
        rows.append(bytes(row))
    data = b"".join(rows)
    if os2:
        info = struct.pack("<IHHHH", 12, w, h, 1, bits)
        palb = b"".join(bytes([b, g, r]) for r, g, b in pal)
    else:
        info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, bits, 0, len(data), 2835, 2835, len(pal), 0)
        palb = b"".join(bytes([b, g, r, 0]) for r, g, b in pal)
    off = 14 + len(info) + len(palb)
    return b"BM" + struct.pack("<IHHI", off + len(data), 0, 0, off) + info + palb + data


def tiff_write(arr, big_endian, rows_per_strip, photometric=2):
    h, w = arr.shape[:2]
    spp = 1 if arr.ndim == 2 else arr.shape[2]
    e = ">" if big_endian else "<"
    strips = [arr[y:y + rows_per_strip].astype(np.uint8).tobytes() for y in range(0, h, rows_per_strip)]
    hdr = (b"MM" if big_endian else b"II") + struct.pack(e + "HI", 42, 8)
    nt = 10
    ifd_size = 2 + nt * 12 + 4
    extra_off = 8 + ifd_size
    extra = b""

    def arr_tag(tag, typ, vals):
        nonlocal extra
        fmt = "H" if typ == 3 else "I"
        size = 2 if typ == 3 else 4
        if len(vals) * size <= 4:
            v = struct.pack(e + fmt * len(vals), *vals) + bytes(4 - len(vals) * size)
            return struct.pack(e + "HHI", tag, typ, len(vals)) + v
        off = extra_off + len(extra)
        extra += struct.pack(e + fmt * len(vals), *vals)
        return struct.pack(e + "HHII", tag, typ, len(vals), off)

    data_off = None
    # offsets of the strips are known once the extra area is laid out: two passes
    for _ in range(2):
        extra = b""
        base = data_off if data_off is not None else 0
        offs, o = [], base
        for s in strips:
            offs.append(o)
            o += len(s)
        tags = [
            arr_tag(256, 4, [w]), arr_tag(257, 4, [h]), arr_tag(258, 3, [8] * spp), arr_tag(259, 3, [1]),
            arr_tag(262, 3, [photometric]), arr_tag(273, 4, offs), arr_tag(277, 3, [spp]),
            arr_tag(278, 4, [rows_per_strip]), arr_tag(279, 4, [len(s) for s in strips]), arr_tag(284, 3, [1]),
        ]
        data_off = extra_off + len(extra)
    ifd = struct.pack(e + "H", nt) + b"".join(tags) + struct.pack(e + "I", 0)
    return hdr + ifd + extra + b"".join(strips)


# A baseline JPEG encoder (standard Huffman tables, float DCT) for what
# Pillow 9.4 cannot write: restart markers, odd sampling factors.
ZZ = [0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
      28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61,
      54, 47, 55, 62, 63]
def std_tables():
    """The standard Huffman tables (JPEG Annex K), as libjpeg writes them."""
    data = pil_bytes(Image.new("RGB", (8, 8)), "JPEG", quality=90)
    tabs, p = {}, 2
    while p < len(data):
        m, ln = data[p + 1], struct.unpack(">H", data[p + 2:p + 4])[0]
        if m == 0xC4:
            q = p + 4
            while q < p + 2 + ln:
                bits = list(data[q + 1:q + 17])
                vals = list(data[q + 17:q + 17 + sum(bits)])
                tabs[data[q]] = (bits, vals)
                q += 17 + sum(bits)
        if m == 0xDA:
            break
        p += 2 + ln
    return tabs[0x00], tabs[0x01], tabs[0x10], tabs[0x11]


def huff_codes(bits, vals):
    codes, code, k = {}, 0, 0
    for l in range(1, 17):
        for _ in range(bits[l - 1]):
            codes[vals[k]] = (code, l)
            code += 1
            k += 1
        code <<= 1
    return codes


def jpeg_encode(rgb, factors, restart, quality_q=8, interleaved=True, q16=False):
    """rgb: H x W x 3 uint8 (or H x W gray); factors: [(h, v)] per component."""
    h, w = rgb.shape[:2]
    gray = rgb.ndim == 2
    if gray:
        planes = [rgb.astype(np.float64)]
    else:
        r, g, b = [rgb[..., i].astype(np.float64) for i in range(3)]
        planes = [0.299 * r + 0.587 * g + 0.114 * b, -0.168736 * r - 0.331264 * g + 0.5 * b + 128,
                  0.5 * r - 0.418688 * g - 0.081312 * b + 128]
    hmax = max(f[0] for f in factors)
    vmax = max(f[1] for f in factors)
    mcux, mcuy = -(-w // (8 * hmax)), -(-h // (8 * vmax))
    q = np.full(64, quality_q, np.int64)
    q[0] = 4
    n = np.arange(8)
    dct = np.cos((2 * n[None, :] + 1) * n[:, None] * np.pi / 16) * np.where(n[:, None] == 0, np.sqrt(1 / 8), 0.5)
    comps = []
    for ci, (hf, vf) in enumerate(factors):
        p = planes[ci]
        # box-downsample by (hmax/hf, vmax/vf), pad by edge replication
        sx, sy = hmax // hf, vmax // vf
        dh, dw = -(-h // sy), -(-w // sx)
        pp = np.pad(p, ((0, dh * sy - h), (0, dw * sx - w)), mode="edge")
        d = pp.reshape(dh, sy, dw, sx).mean(axis=(1, 3))
        d = np.pad(d, ((0, mcuy * vf * 8 - dh), (0, mcux * hf * 8 - dw)), mode="edge")
        comps.append(d - 128)
    STD_DC_L, STD_DC_C, STD_AC_L, STD_AC_C = std_tables()
    dc_tabs = [huff_codes(*STD_DC_L), huff_codes(*STD_DC_C)]
    ac_tabs = [huff_codes(*STD_AC_L), huff_codes(*STD_AC_C)]
    out = bytearray()
    preds = []
    acc, nacc = 0, 0

    def put(v, l):
        nonlocal acc, nacc
        acc = (acc << l) | (v & ((1 << l) - 1))
        nacc += l
        while nacc >= 8:
            byte = (acc >> (nacc - 8)) & 255
            out.append(byte)
            if byte == 0xFF:
                out.append(0)
            nacc -= 8

    def flush():
        nonlocal nacc, acc
        if nacc:
            put(0x7F, 8 - nacc)
        acc = 0

    def enc_val(v):
        s = int(abs(v)).bit_length()
        return s, (v if v >= 0 else v + (1 << s) - 1)

    def encode_block(ci, y0, x0):
        t = 0 if ci == 0 else 1
        blk = comps[ci][y0:y0 + 8, x0:x0 + 8]
        co = (dct @ blk @ dct.T).reshape(-1)
        qc = np.round(co / q).astype(np.int64)
        zz = [int(qc[ZZ[k]]) for k in range(64)]
        diff = zz[0] - preds[ci]
        preds[ci] = zz[0]
        s, bits = enc_val(diff)
        put(*dc_tabs[t][s])
        if s:
            put(bits, s)
        run = 0
        for k in range(1, 64):
            if zz[k] == 0:
                run += 1
                continue
            while run > 15:
                put(*ac_tabs[t][0xF0])
                run -= 16
            s, bits = enc_val(zz[k])
            put(*ac_tabs[t][(run << 4) | s])
            put(bits, s)
            run = 0
        if run:
            put(*ac_tabs[t][0])

    # the scans: one interleaved scan, or one per component
    if interleaved:
        scans = [(list(range(len(factors))),
                  [[(ci, (my * vf + by) * 8, (mx * hf + bx) * 8) for ci, (hf, vf) in enumerate(factors)
                    for by in range(vf) for bx in range(hf)] for my in range(mcuy) for mx in range(mcux)])]
    else:
        scans = []
        for ci, (hf, vf) in enumerate(factors):
            dh, dw = -(-h * vf // vmax), -(-w * hf // hmax)
            scans.append(([ci], [[(ci, by * 8, bx * 8)] for by in range(-(-dh // 8)) for bx in range(-(-dw // 8))]))
    body = bytearray()
    for cis, mcus in scans:
        out = bytearray()
        preds = [0] * len(factors)
        for nmcu, mcu in enumerate(mcus):
            if restart and nmcu and nmcu % restart == 0:
                flush()
                out += bytes([0xFF, 0xD0 + (nmcu // restart - 1) % 8])
                preds = [0] * len(factors)
            for ci, y0, x0 in mcu:
                encode_block(ci, y0, x0)
        flush()
        sos = bytes([len(cis)]) + b"".join(bytes([ci + 1, 0 if ci == 0 else 0x11]) for ci in cis) + b"\x00\x3f\x00"
        body += b"\xff\xda" + struct.pack(">H", 2 + len(sos)) + sos + out
    hdr = bytearray(b"\xff\xd8")
    hdr += b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    if q16:
        qz = b"".join(struct.pack(">H", int(q[ZZ[k]])) for k in range(64))
        hdr += b"\xff\xdb" + struct.pack(">H", 131) + b"\x10" + qz
    else:
        qz = bytes(int(q[ZZ[k]]) for k in range(64))
        hdr += b"\xff\xdb" + struct.pack(">H", 67) + b"\x00" + qz
    nc = len(factors)
    sof = struct.pack(">BHHB", 8, h, w, nc) + b"".join(bytes([i + 1, (f[0] << 4) | f[1], 0]) for i, f in enumerate(factors))
    hdr += (b"\xff\xc1" if q16 else b"\xff\xc0") + struct.pack(">H", 2 + len(sof)) + sof
    for cls, idx, (bits, vals) in [(0, 0, STD_DC_L), (1, 0, STD_AC_L), (0, 1, STD_DC_C), (1, 1, STD_AC_C)]:
        tb = bytes([(cls << 4) | idx]) + bytes(bits) + bytes(vals)
        hdr += b"\xff\xc4" + struct.pack(">H", 2 + len(tb)) + tb
    if restart:
        hdr += b"\xff\xdd" + struct.pack(">HH", 4, restart)
    return bytes(hdr + body + b"\xff\xd9")


def webp_encode(arr, quality, **fields):
    """Lossy WebP of an H x W x 3 uint8 array with libwebp's advanced API
    (the library Pillow uses), setting WebPConfig fields by name; None when
    libwebp 1.x (encoder ABI 0x020f) cannot be loaded."""
    offs = dict(method=8, segments=24, sns_strength=28, filter_strength=32, filter_sharpness=36, filter_type=40,
                autofilter=44, partitions=72)
    try:
        lib = ctypes.CDLL("libwebp.so.7")
    except OSError:
        return None
    abi = 0x020f
    cfg = ctypes.create_string_buffer(512)
    if not lib.WebPConfigInitInternal(cfg, 0, ctypes.c_float(quality), abi):
        return None
    for k, v in fields.items():
        ctypes.c_int.from_buffer(cfg, offs[k]).value = v
    if not lib.WebPValidateConfig(cfg):
        return None
    pic = ctypes.create_string_buffer(1024)  # WebPPicture: width at 8, height at 12, writer at 96, custom_ptr at 104
    if not lib.WebPPictureInitInternal(pic, abi):
        return None
    h, w = arr.shape[:2]
    ctypes.c_int.from_buffer(pic, 8).value = w
    ctypes.c_int.from_buffer(pic, 12).value = h
    data = np.ascontiguousarray(arr, np.uint8)
    if not lib.WebPPictureImportRGB(pic, data.ctypes.data_as(ctypes.c_void_p), w * 3):
        return None
    mw = ctypes.create_string_buffer(64)  # WebPMemoryWriter: mem, size, max_size
    lib.WebPMemoryWriterInit(mw)
    ctypes.c_void_p.from_buffer(pic, 96).value = ctypes.cast(lib.WebPMemoryWrite, ctypes.c_void_p).value
    ctypes.c_void_p.from_buffer(pic, 104).value = ctypes.addressof(mw)
    ok = lib.WebPEncode(cfg, pic)
    lib.WebPPictureFree(pic)
    mem, size = ctypes.c_void_p.from_buffer(mw, 0).value, ctypes.c_size_t.from_buffer(mw, 8).value
    out = ctypes.string_at(mem, size) if ok and mem else None
    lib.WebPMemoryWriterClear(mw)
    return out


# ---------------------------------------------------------------- the cases

def make_cases(rng):
    cases = []  # (name, bytes, fmt, expect) expect: "pil", or an int rc

    def img(w, h, mode="RGB"):
        # smooth gradients plus noise: exercises both the DC-only and full IDCT paths
        yy, xx = np.mgrid[0:h, 0:w]
        base = np.stack([(xx * 255 // max(w - 1, 1)), (yy * 255 // max(h - 1, 1)), ((xx + yy) * 7) % 256], -1)
        noise = rng.integers(-40, 40, (h, w, 3))
        a = np.clip(base + noise, 0, 255).astype(np.uint8)
        return Image.fromarray(a, "RGB").convert(mode) if mode != "RGB" else Image.fromarray(a, "RGB")

    def add(name, data, fmt="RGB", expect="pil"):
        cases.append((name, data, fmt, expect))

    # JPEG: qualities, subsampling, odd sizes (partial MCUs), grayscale, optimized tables
    for (w, h) in [(32, 32), (17, 9), (40, 23), (5, 3), (4, 6), (3, 7), (1, 1)]:
        for sub in (0, 1, 2):
            for q in (50, 95):
                add("jpeg_%dx%d_sub%d_q%d" % (w, h, sub, q), pil_bytes(img(w, h), "JPEG", quality=q, subsampling=sub))
    add("jpeg_optimize", pil_bytes(img(33, 31), "JPEG", quality=80, optimize=True))
    add("jpeg_q100", pil_bytes(img(24, 16), "JPEG", quality=100, subsampling=2))
    add("jpeg_q5", pil_bytes(img(24, 16), "JPEG", quality=5))
    for fmt in ("BGR", "Grayscale"):
        add("jpeg_420_" + fmt, pil_bytes(img(27, 19), "JPEG", quality=75), fmt)
    add("jpeg_gray", pil_bytes(img(21, 13, "L"), "JPEG", quality=85))
    add("jpeg_gray_G", pil_bytes(img(21, 13, "L"), "JPEG", quality=85), "Grayscale")
    for (w, h) in [(32, 32), (17, 9), (40, 23)]:
        for sub in (0, 1, 2):
            add("jpeg_prog_%dx%d_sub%d" % (w, h, sub), pil_bytes(img(w, h), "JPEG", quality=85, subsampling=sub,
                                                                 progressive=True))
    add("jpeg_prog_q30_opt", pil_bytes(img(45, 37), "JPEG", quality=30, progressive=True, optimize=True))
    add("jpeg_prog_q100", pil_bytes(img(45, 37), "JPEG", quality=100, progressive=True))
    add("jpeg_prog_gray_G", pil_bytes(img(21, 13, "L"), "JPEG", progressive=True), "Grayscale")
    try:
        data = pil_bytes(img(32, 32), "JPEG", restart_marker_blocks=2)
        if b"\xff\xdd" in data:
            add("jpeg_pil_restart", data)
        else:
            print("note: Pillow %s ignores restart_marker_blocks; restart markers come from the test's own encoder"
                  % Image.__version__)
    except Exception as e:  # noqa: BLE001
        print("note: restart_marker_blocks not available (%s)" % e)
    a = np.asarray(img(37, 21))
    add("jpeg_enc_restart1_420", jpeg_encode(a, [(2, 2), (1, 1), (1, 1)], 1))
    add("jpeg_enc_restart3_422", jpeg_encode(a, [(2, 1), (1, 1), (1, 1)], 3))
    add("jpeg_enc_restart2_444", jpeg_encode(a, [(1, 1), (1, 1), (1, 1)], 2))
    add("jpeg_enc_440", jpeg_encode(a, [(1, 2), (1, 1), (1, 1)], 0))
    add("jpeg_enc_411", jpeg_encode(a, [(4, 1), (1, 1), (1, 1)], 0))
    add("jpeg_enc_noninterleaved_420", jpeg_encode(a, [(2, 2), (1, 1), (1, 1)], 0, interleaved=False))
    add("jpeg_enc_noninterleaved_restart_422", jpeg_encode(a, [(2, 1), (1, 1), (1, 1)], 2, interleaved=False))
    add("jpeg_enc_q16", jpeg_encode(a, [(2, 2), (1, 1), (1, 1)], 0, quality_q=300, q16=True))
    add("jpeg_enc_gray_restart", jpeg_encode(np.asarray(img(19, 11, "L")), [(1, 1)], 2))
    # PNG: Pillow's own files, then hand-made ones (filters, Adam7, 16-bit, deflate block kinds)
    add("png_rgb", pil_bytes(img(23, 17), "PNG"))
    add("png_rgba", pil_bytes(img(23, 17, "RGBA"), "PNG"))
    add("png_l", pil_bytes(img(23, 17, "L"), "PNG"))
    add("png_la", pil_bytes(img(23, 17, "LA"), "PNG"))
    add("png_p", pil_bytes(img(23, 17).convert("P", palette=Image.ADAPTIVE, colors=200), "PNG"))
    add("png_p4", pil_bytes(img(23, 17).convert("P", palette=Image.ADAPTIVE, colors=16), "PNG", bits=4))
    add("png_1", pil_bytes(img(23, 17, "1"), "PNG"))
    add("png_i16", pil_bytes(Image.fromarray(rng.integers(0, 600, (9, 11)).astype(np.uint16)), "PNG"))
    add("png_rgba_G", pil_bytes(img(23, 17, "RGBA"), "PNG"), "Grayscale")
    add("png_p_G", pil_bytes(img(23, 17).convert("P", palette=Image.ADAPTIVE, colors=64), "PNG"), "Grayscale")
    add("png_p_trns", pil_bytes(img(23, 17).convert("P", palette=Image.ADAPTIVE, colors=64), "PNG", transparency=3))
    add("png_l_trns", pil_bytes(img(23, 17, "L"), "PNG", transparency=7))
    add("png_rgb_trns", pil_bytes(img(23, 17), "PNG", transparency=(1, 2, 3)))
    add("png_short_plte", png_write(rng.integers(0, 256, (5, 7, 1)), 3, 8, rng, 0, list(range(30))))
    add("png_rgb_BGR", pil_bytes(img(23, 17), "PNG"), "BGR")
    for ct, depth, ch in [(0, 1, 1), (0, 2, 1), (0, 4, 1), (0, 8, 1), (0, 16, 1), (2, 8, 3), (2, 16, 3), (3, 2, 1),
                          (3, 8, 1), (4, 8, 2), (4, 16, 2), (6, 8, 4), (6, 16, 4)]:
        for interlace in (0, 1):
            for zmode in (("default", "stored", "fixed") if (depth == 8 and interlace == 0) else ("default",)):
                w, h = 13, 11
                top = (1 << depth) - 1 if ct != 3 else (1 << depth) - 1
                arr = rng.integers(0, top + 1, (h, w, ch))
                pal = rng.integers(0, 256, 3 * (1 << depth)).tolist() if ct == 3 else None
                add("png_ct%d_d%d_i%d_%s" % (ct, depth, interlace, zmode),
                    png_write(arr, ct, depth, rng, interlace, pal, zmode))
    # BMP
    add("bmp_rgb", pil_bytes(img(19, 7), "BMP"))
    add("bmp_l", pil_bytes(img(19, 7, "L"), "BMP"))
    add("bmp_p", pil_bytes(img(19, 7).convert("P", palette=Image.ADAPTIVE, colors=100), "BMP"))
    add("bmp_1", pil_bytes(img(19, 7, "1"), "BMP"))
    add("bmp_p_G", pil_bytes(img(19, 7).convert("P", palette=Image.ADAPTIVE, colors=100), "BMP"), "Grayscale")
    a = np.asarray(img(19, 7))
    add("bmp_topdown", bmp_write(a, top_down=True))
    add("bmp_32", bmp_write(a, bits=32))
    pal = [tuple(int(v) for v in rng.integers(0, 256, 3)) for _ in range(16)]
    add("bmp_4bit", bmp_write_indexed(rng.integers(0, 16, (7, 19)), pal, 4))
    add("bmp_4bit_os2", bmp_write_indexed(rng.integers(0, 16, (7, 19)), pal, 4, os2=True))
    add("bmp_8bit_os2_G", bmp_write_indexed(rng.integers(0, 16, (7, 19)), pal * 16, 8, os2=True), "Grayscale")
    add("bmp_32_topdown_BGR", bmp_write(a, top_down=True, bits=32), "BGR")
    # PNM
    add("ppm", pil_bytes(img(15, 9), "PPM"))
    add("pgm", pil_bytes(img(15, 9, "L"), "PPM"))
    add("pbm", pil_bytes(img(15, 9, "1"), "PPM"))
    add("ppm_comment_G", b"P6\n# a comment\n15 9\n255\n" + np.asarray(img(15, 9)).tobytes(), "Grayscale")
    # TIFF
    add("tiff_rgb", pil_bytes(img(21, 14), "TIFF", compression="raw"))
    add("tiff_l", pil_bytes(img(21, 14, "L"), "TIFF", compression="raw"))
    add("tiff_p", pil_bytes(img(21, 14).convert("P", palette=Image.ADAPTIVE, colors=50), "TIFF", compression="raw"))
    add("tiff_la_G", pil_bytes(img(21, 14, "LA"), "TIFF", compression="raw"), "Grayscale")
    add("tiff_rgba", pil_bytes(img(21, 14, "RGBA"), "TIFF", compression="raw"))
    a = np.asarray(img(21, 14))
    add("tiff_be_strips", tiff_write(a, True, 4))
    add("tiff_le_strips_G", tiff_write(a, False, 3), "Grayscale")
    add("tiff_be_gray", tiff_write(np.asarray(img(21, 14, "L")), True, 5, photometric=1))
    add("tiff_whiteiszero", tiff_write(np.asarray(img(21, 14, "L")), False, 14, photometric=0))
    add("tiff_lzw", pil_bytes(img(21, 14), "TIFF", compression="tiff_lzw"), "RGB", -1)
    # WebP (lossy): sizes, qualities, methods, sharp and smooth content, alpha, extra chunks
    def sharp(w, h):
        yy, xx = np.mgrid[0:h, 0:w]
        a = np.zeros((h, w, 3), np.uint8)
        a[((xx // 3 + yy // 5) % 2) == 0] = (250, 20, 30)
        a[(xx - yy) % 11 < 2] = (0, 0, 0)
        a[yy > h * 2 // 3] = (255, 255, 255)
        a[:, w // 2] = (0, 200, 255)
        return Image.fromarray(a)

    def smooth(w, h):
        yy, xx = np.mgrid[0:h, 0:w]
        return Image.fromarray(np.stack([xx * 255 // max(w - 1, 1), yy * 255 // max(h - 1, 1), 128 + 0 * xx],
                                        -1).astype(np.uint8))

    for (w, h) in [(32, 32), (1, 1), (17, 9), (33, 47), (64, 48), (2, 3)]:
        for q in (1, 75, 100):
            add("webp_%dx%d_q%d" % (w, h, q), pil_bytes(img(w, h), "WEBP", quality=q))
    for m in range(7):
        add("webp_sharp_m%d" % m, pil_bytes(sharp(45, 37), "WEBP", quality=60, method=m))
        add("webp_smooth_m%d" % m, pil_bytes(smooth(45, 37), "WEBP", quality=30 + 10 * m, method=m))
    add("webp_sharp_q0", pil_bytes(sharp(40, 40), "WEBP", quality=0))
    add("webp_big", pil_bytes(img(200, 130), "WEBP", quality=85))
    add("webp_BGR", pil_bytes(img(27, 19), "WEBP", quality=70), "BGR")
    add("webp_G", pil_bytes(img(27, 19), "WEBP", quality=70), "Grayscale")
    rgba = np.asarray(img(30, 20, "RGBA")).copy()
    rgba[..., 3] = rng.integers(0, 256, rgba.shape[:2])
    add("webp_rgba", pil_bytes(Image.fromarray(rgba, "RGBA"), "WEBP", quality=80))  # VP8X + ALPH
    add("webp_rgba_exact_G", pil_bytes(Image.fromarray(rgba, "RGBA"), "WEBP", quality=40, exact=True), "Grayscale")
    add("webp_icc", pil_bytes(img(20, 20), "WEBP", quality=80, icc_profile=b"\0" * 33))  # VP8X + ICCP
    for name, kw in [("simple", dict(filter_type=0)), ("simple_sharp7", dict(filter_type=0, filter_sharpness=7,
                                                                             filter_strength=100)),
                     ("normal_sharp3", dict(filter_sharpness=3, filter_strength=80)), ("nofilter", dict(filter_strength=0)),
                     ("parts8", dict(partitions=3, method=1)), ("parts2_simple", dict(partitions=1, filter_type=0, method=2)),
                     ("seg1", dict(segments=1)), ("seg2_sns100", dict(segments=2, sns_strength=100)),
                     ("autofilter", dict(autofilter=1))]:
        for q in (5, 90):
            for kind, f in (("noise", img), ("sharp", sharp), ("smooth", smooth)):
                data = webp_encode(np.asarray(f(50, 70)), q, **kw)
                if data is None:
                    break
                add("webp_enc_%s_%s_q%d" % (name, kind, q), data)
    if webp_encode(np.zeros((4, 4, 3), np.uint8), 50) is None:
        print("note: libwebp.so.7 not loadable through ctypes: no simple-filter / multi-partition WebP cases")
    # WebP (lossless): every transform (palettes of 2 / 4 / 16 / 200 colours pack 8 / 4 / 2 / 1 pixels), colour
    # cache, meta prefix codes (the larger images at higher methods)
    def pal(n):
        return lambda w, h: img(w, h).convert("P", palette=Image.ADAPTIVE, colors=n).convert("RGB")

    for (w, h) in [(1, 1), (17, 9), (33, 47), (130, 90)]:
        for kind, f in (("noise", img), ("sharp", sharp), ("smooth", smooth), ("pal2", pal(2)), ("pal4", pal(4)),
                        ("pal16", pal(16)), ("pal200", pal(200))):
            for m in (0, 4, 6):
                add("webp_ll_%s_%dx%d_m%d" % (kind, w, h, m), pil_bytes(f(w, h), "WEBP", lossless=True, method=m,
                                                                      quality=100 if m == 6 else 50))
    add("webp_ll_rgba", pil_bytes(Image.fromarray(rgba, "RGBA"), "WEBP", lossless=True))
    add("webp_ll_rgba_exact_G", pil_bytes(Image.fromarray(rgba, "RGBA"), "WEBP", lossless=True, exact=True), "Grayscale")
    add("webp_ll_icc_BGR", pil_bytes(img(20, 20), "WEBP", lossless=True, icc_profile=b"\0" * 33), "BGR")  # VP8X + VP8L
    # JPEG 2000 (reversible 5/3; Pillow's OpenJPEG): sizes, modes, JP2 and raw codestreams, resolutions,
    # code-block sizes, quality layers, progression orders, tiles and offsets, MCT
    def j2k(im, **kw):
        return pil_bytes(im, "JPEG2000", **kw)

    def rgba(w, h):
        a = np.asarray(img(w, h))
        return Image.fromarray(np.concatenate([a, a[..., :1] ^ 0x5a], -1), "RGBA")

    for (w, h) in [(1, 1), (7, 5), (32, 32), (33, 47), (64, 48), (130, 70)]:
        for mode in ("RGB", "L", "RGBA"):
            im = rgba(w, h) if mode == "RGBA" else img(w, h, mode)
            add("j2k_%dx%d_%s" % (w, h, mode), j2k(im))
            add("j2k_%dx%d_%s_raw" % (w, h, mode), j2k(im, no_jp2=True))
    add("j2k_21x13_LA", j2k(img(21, 13, "LA")))
    add("j2k_21x13_LA_G", j2k(img(21, 13, "LA"), no_jp2=True), "Grayscale")
    add("j2k_33x47_BGR", j2k(img(33, 47)), "BGR")
    add("j2k_33x47_G", j2k(img(33, 47)), "Grayscale")
    add("j2k_33x47_L_G", j2k(img(33, 47, "L")), "Grayscale")
    add("j2k_33x47_RGBA_G", j2k(rgba(33, 47), no_jp2=True), "Grayscale")
    for r in range(1, 7):
        add("j2k_res%d" % r, j2k(img(33, 47), num_resolutions=r))
        add("j2k_res%d_130x70" % r, j2k(img(130, 70), num_resolutions=r, no_jp2=True))
    for cb in [(4, 4), (16, 64), (64, 16), (8, 32), (32, 32), (64, 64)]:
        add("j2k_cb%dx%d" % cb, j2k(img(130, 70), codeblock_size=cb))
    for prog in ["LRCP", "RLCP", "RPCL", "PCRL", "CPRL"]:
        add("j2k_prog_%s_layers" % prog, j2k(img(64, 48), progression=prog, quality_mode="rates",
                                             quality_layers=[30, 10, 0]))
        add("j2k_prog_%s_tiles" % prog, j2k(img(130, 70), progression=prog, tile_size=(32, 32), num_resolutions=3))
        add("j2k_prog_%s_rgba_lossy_layers" % prog, j2k(rgba(33, 47), progression=prog, quality_mode="rates",
                                                        quality_layers=[60, 20]))
    for prog in ["LRCP", "RLCP", "RPCL", "PCRL", "CPRL"]:
        for ps in [(16, 16), (32, 64), (128, 128)]:
            add("j2k_prec_%s_%dx%d" % (prog, ps[0], ps[1]), j2k(img(130, 70), progression=prog, precinct_size=ps,
                                                            codeblock_size=(16, 16), quality_mode="rates",
                                                            quality_layers=[20, 5, 0]))
        add("j2k_prec_tiles_%s" % prog, j2k(img(130, 70), progression=prog, precinct_size=(32, 16), tile_size=(48, 40),
                                            num_resolutions=3))
        add("j2k_prec_offset_%s" % prog, j2k(img(33, 47), progression=prog, precinct_size=(16, 32), offset=(3, 5),
                                             tile_offset=(1, 2), tile_size=(16, 16), num_resolutions=3, no_jp2=True))
    add("j2k_layers_db", j2k(img(64, 48), quality_mode="dB", quality_layers=[30, 40, 50]))
    add("j2k_layers_rates", j2k(img(130, 70), quality_mode="rates", quality_layers=[80, 40, 20, 5]))
    add("j2k_layers_rates_only_lossy", j2k(img(130, 70), quality_mode="rates", quality_layers=[40, 10]))
    add("j2k_tile_7x5", j2k(img(33, 47), tile_size=(7, 5), num_resolutions=2))
    add("j2k_tile_64", j2k(img(130, 70), tile_size=(64, 64)))
    add("j2k_tile_offset", j2k(img(130, 70), tile_size=(64, 64), tile_offset=(10, 5), offset=(20, 7)))
    add("j2k_offset_odd", j2k(img(33, 47), offset=(3, 5), tile_offset=(1, 2), tile_size=(16, 16), no_jp2=True))
    add("j2k_mct1", j2k(img(64, 48), mct=1))
    add("j2k_mct1_tiles_layers", j2k(img(130, 70), mct=1, tile_size=(48, 40), quality_mode="rates",
                                     quality_layers=[20, 0]))
    add("j2k_mct0", j2k(img(64, 48), mct=0))
    # irreversible (9/7, float): OpenJPEG's arithmetic, operation for operation
    for (w, h) in [(1, 1), (7, 5), (33, 47), (130, 70)]:
        for mode in ("RGB", "L", "RGBA"):
            im = rgba(w, h) if mode == "RGBA" else img(w, h, mode)
            add("j2k_97_%dx%d_%s" % (w, h, mode), j2k(im, irreversible=True, no_jp2=mode == "L"))
    for r in (1, 2, 4, 6):
        add("j2k_97_res%d" % r, j2k(img(33, 47), irreversible=True, num_resolutions=r))
    add("j2k_97_mct1_layers", j2k(img(64, 48), irreversible=True, mct=1, quality_mode="rates", quality_layers=[30, 10, 0]))
    add("j2k_97_mct0_db", j2k(img(64, 48), irreversible=True, mct=0, quality_mode="dB", quality_layers=[30, 45]))
    add("j2k_97_tiles_RPCL", j2k(img(130, 70), irreversible=True, progression="RPCL", tile_size=(32, 32),
                                 precinct_size=(16, 16), num_resolutions=3))
    add("j2k_97_offset_G", j2k(img(33, 47), irreversible=True, offset=(3, 5), tile_offset=(1, 2), tile_size=(16, 16),
                              num_resolutions=2),
        "Grayscale")
    # other formats: unsupported at run time
    frames = [img(16, 16), sharp(16, 16)]
    add("webp_animated", pil_bytes(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100), "RGB", -1)
    add("gif", pil_bytes(img(16, 16), "GIF"), "RGB", -1)
    return cases


def reference(data, fmt):
    im = Image.open(io.BytesIO(data))
    if fmt == "Grayscale":
        return np.array(im.convert("L"))[..., None]
    a = np.array(im.convert("RGB"))
    return a[..., ::-1] if fmt == "BGR" else a


def make_model(items, path):
    """items: [(n, shape, fmt)]: one ImageDecoder node per image."""
    nodes, ins, outs = [], [], []
    for i, (n, shape, fmt) in enumerate(items):
        nodes.append(helper.make_node("ImageDecoder", ["data%d" % i], ["image%d" % i], pixel_format=fmt))
        ins.append(helper.make_tensor_value_info("data%d" % i, TensorProto.UINT8, [n]))
        outs.append(helper.make_tensor_value_info("image%d" % i, TensorProto.UINT8, list(shape)))
    g = helper.make_graph(nodes, "img", ins, outs)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 20)], producer_name="check_images")
    m.ir_version = 9
    onnx.save(m, path)


class Runner:
    def __init__(self, args, work):
        self.args, self.work = args, work

    def build_and_run(self, name, items, extra_cflags=(), declared=None, dlcc_args=()):
        """items: [(data, fmt, shape)]; returns (rc, [outputs]) or (None, message)."""
        d = os.path.join(self.work, name)
        os.makedirs(d, exist_ok=True)
        model = os.path.join(d, "model.onnx")
        make_model([(len(data), declared or shape, fmt) for data, fmt, shape in items], model)
        files = []
        for i, (data, _, _) in enumerate(items):
            files.append(os.path.join(d, "img%d.bin" % i))
            with open(files[-1], "wb") as f:
                f.write(data)
        outs = [os.path.join(d, "out%d.bin" % i) for i in range(len(items))]
        p = subprocess.run([self.args.dlcc, model, *dlcc_args, "-o", os.path.join(d, "net.c")], capture_output=True,
                           text=True)
        if p.returncode:
            return None, "dlcc failed: " + p.stderr.strip()[-400:]
        shutil.copy(os.path.join(self.work, "driver.c"), d)
        cmd = [self.args.cc, "-std=c11", "-O1", "-Wall", "-Wextra", "-Werror", *extra_cflags, "-o", os.path.join(d, "run"),
               os.path.join(d, "net.c"), os.path.join(d, "driver.c")]
        p = subprocess.run(cmd, capture_output=True, text=True, cwd=d)
        if p.returncode:
            return None, "cc failed: " + p.stderr.strip()[-600:]
        p = subprocess.run([os.path.join(d, "run"), *files, *outs], capture_output=True, text=True, timeout=120)
        if p.returncode:
            return None, "run failed (%d): %s" % (p.returncode, p.stderr.strip()[-600:])
        rc = int(p.stdout.strip())
        return rc, [np.fromfile(o, np.uint8).reshape(it[2]) for o, it in zip(outs, items)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dlcc", default=os.environ.get("DLCC", os.path.join(ROOT, "build", "dlcc")))
    ap.add_argument("--cc", default=os.environ.get("CC", "clang" if shutil.which("clang") else "cc"))
    ap.add_argument("-k", default="")
    ap.add_argument("-v", action="store_true")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    rng = np.random.default_rng(1234)
    work = tempfile.mkdtemp(prefix="dlcc-image-")
    with open(os.path.join(work, "driver.c"), "w") as f:
        f.write(DRIVER)
    runner = Runner(args, work)
    results = []

    cases = [c for c in make_cases(rng) if args.k in c[0]]
    good, bad = [], []
    for name, data, fmt, expect in cases:
        if expect != "pil":
            bad.append((name, data, fmt, expect))
            continue
        try:
            good.append((name, data, fmt, reference(data, fmt)))
        except Exception as e:  # noqa: BLE001
            results.append((name, False, "Pillow cannot read it: %s" % e))

    def check_batch(batch):
        """All Pillow-readable images in one model: one compile."""
        rc, outs = runner.build_and_run("batch%d" % id(batch), [(data, fmt, ref.shape) for _, data, fmt, ref in batch])
        if rc is None or rc != 0:
            msg = outs if rc is None else "net_run returned %d" % rc
            return [(name, False, msg) for name, _, _, _ in batch]
        res = []
        for (name, _, _, ref), out in zip(batch, outs):
            if np.array_equal(out, ref):
                res.append((name, True, ""))
            else:
                diff = np.abs(out.astype(int) - ref.astype(int))
                res.append((name, False, "differs from Pillow at %d of %d values (max %d)" % (
                    int((diff > 0).sum()), diff.size, int(diff.max()))))
        return res

    def check_bad(case):
        """An unsupported file alone (net_run stops at the first error)."""
        name, data, fmt, expect = case
        w, h = Image.open(io.BytesIO(data)).size
        rc, out = runner.build_and_run(name, [(data, fmt, (h, w, 1 if fmt == "Grayscale" else 3))])
        if rc is None:
            return name, False, out
        return name, rc == expect, "" if rc == expect else "net_run returned %d, want %d" % (rc, expect)


    def extra_jobs():
        """Independent checks, each returning [(name, ok, message)]."""
        jobs = []

        def shape_mismatch(kind, d):
            # the declared shape differs from the image's: -DLCC_ERR_SHAPE
            rc, o = runner.build_and_run("shape_mismatch_" + kind, [(d, "RGB", (10, 13, 3))])
            return [("shape_mismatch_" + kind, rc == -3, "net_run returned %s, want -3" % (rc if rc is not None else o))]

        for kind, fmt in [("png", "PNG"), ("jpeg", "JPEG"), ("bmp", "BMP"), ("webp", "WEBP"), ("jp2", "JPEG2000")]:
            jobs.append(lambda kind=kind, fmt=fmt: shape_mismatch(kind, pil_bytes(Image.new("RGB", (12, 10), (1, 2, 3)), fmt)))
        im = Image.fromarray(rng.integers(0, 255, (10, 12, 3)).astype(np.uint8))

        def dim_bound():
            # a symbolic output shape bound with --dim
            rc, o = runner.build_and_run("dim_bound", [(pil_bytes(im, "PNG"), "RGB", (10, 12, 3))], declared=["H", "W", 3],
                                         dlcc_args=["--dim", "H=10", "--dim", "W=12"])
            return [("dim_bound", rc == 0 and np.array_equal(o[0], np.asarray(im)), "rc %s: %s" % (rc, o if rc is None else ""))]

        def no_shape():
            # no shape at all: a compile-time error
            rc, o = runner.build_and_run("no_shape", [(pil_bytes(im, "PNG"), "RGB", (10, 12, 3))], declared=["H", "W", 3])
            want = "needs the output shape declared in the model or bound with --dim"
            return [("no_shape_error", rc is None and want in o, "want a dlcc error, got rc %s %s" % (rc, o))]

        jobs += [dim_bound, no_shape]
        san = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g"]
        jpg = pil_bytes(Image.fromarray(rng.integers(0, 255, (24, 24, 3)).astype(np.uint8)), "JPEG", quality=90)
        png = pil_bytes(Image.fromarray(rng.integers(0, 255, (24, 24, 3)).astype(np.uint8)), "PNG")

        def truncated(name, d):
            # a truncated file under the sanitizers: a negative code, no crash
            rc, o = runner.build_and_run(name, [(d, "RGB", (24, 24, 3))], san)
            return [(name, rc is not None and rc < 0, "net_run returned %s, want < 0" % (rc if rc is not None else o))]

        jobs.append(lambda: truncated("truncated_jpeg", jpg[:len(jpg) // 2]))
        jobs.append(lambda: truncated("truncated_jpeg_end", jpg[:len(jpg) - 3]))
        jobs.append(lambda: truncated("truncated_png", png[:len(png) * 2 // 3]))
        webp = pil_bytes(Image.fromarray(rng.integers(0, 255, (24, 24, 3)).astype(np.uint8)), "WEBP", quality=90)
        jobs.append(lambda: truncated("truncated_webp", webp[:len(webp) // 2]))
        jobs.append(lambda: truncated("truncated_webp_end", webp[:len(webp) - 3]))
        webpl = pil_bytes(Image.fromarray(rng.integers(0, 255, (24, 24, 3)).astype(np.uint8)), "WEBP", lossless=True)
        jobs.append(lambda: truncated("truncated_webp_lossless", webpl[:len(webpl) * 2 // 3]))
        jp2 = pil_bytes(Image.fromarray(rng.integers(0, 255, (24, 24, 3)).astype(np.uint8)), "JPEG2000")
        jobs.append(lambda: truncated("truncated_jp2", jp2[:len(jp2) // 2]))
        jobs.append(lambda: truncated("truncated_jp2_header", jp2[:len(jp2) // 8]))
        jobs.append(lambda: truncated("truncated_jp2_end", jp2[:len(jp2) - 3]))

        def sweep():
            # every prefix and corrupted copies of a sample of files through the decoder alone, sanitized
            base = open(os.path.join(ROOT, "runtime", "base.h")).read()
            image = open(os.path.join(ROOT, "runtime", "image.h")).read()
            src = os.path.join(work, "fuzz.c")
            with open(src, "w") as f:
                f.write(FUZZ % (base, image))
            exe = os.path.join(work, "fuzz")
            p = subprocess.run([args.cc, "-std=c11", "-O1", *san, "-o", exe, src], capture_output=True, text=True)
            if p.returncode:
                return [("prefix_and_corruption_sweep", False, "cc failed: " + p.stderr[-600:])]
            argv = []
            sample = ("jpeg_17x9_sub2_q95", "jpeg_enc_restart1", "jpeg_prog_40x23_sub2", "jpeg_enc_noninterleaved_420",
                      "png_rgb", "png_ct3_d2_i1", "png_ct6_d16_i1", "png_ct2_d8_i0_fixed", "png_ct0_d8_i0_stored",
                      "bmp_p", "bmp_32", "pbm", "ppm", "tiff_be_strips", "tiff_l", "jpeg_gray", "webp_17x9_q75",
                      "webp_rgba", "webp_sharp_m2", "webp_enc_simple_sharp7_sharp_q90", "webp_enc_parts8_noise_q5", "webp_ll_noise_33x47_m4", "webp_ll_pal4_17x9", "webp_ll_pal200_33x47_m6",
                      "webp_ll_rgba", "webp_ll_sharp_130x90_m6", "j2k_33x47_RGB", "j2k_7x5_RGBA_raw",
                      "j2k_prog_RPCL_layers", "j2k_tile_7x5", "j2k_prec_PCRL_16x16", "j2k_cb4x4", "j2k_mct1_tiles_layers", "j2k_offset_odd", "j2k_97_33x47_RGB")
            for name, data, fmt, expect in cases:
                if expect != "pil" or not name.startswith(sample):
                    continue
                path = os.path.join(work, "sweep_%s.bin" % name)
                with open(path, "wb") as f:
                    f.write(data)
                w, h = Image.open(io.BytesIO(data)).size
                argv += [path, str(h), str(w)]
            p = subprocess.run([exe, *argv], capture_output=True, text=True, timeout=300)
            return [("prefix_and_corruption_sweep (%d files)" % (len(argv) // 3), p.returncode == 0,
                     "exit %d: %s" % (p.returncode, (p.stdout + p.stderr)[-800:]))]

        jobs.insert(0, sweep)  # the longest first
        return [] if args.k else jobs

    batches = [good[i::2] for i in range(2) if good[i::2]]
    jobs = [lambda b=b: check_batch(b) for b in batches] + [lambda c=c: [check_bad(c)] for c in bad] + extra_jobs()
    with ThreadPoolExecutor(max_workers=2) as ex:
        for r in ex.map(lambda job: job(), jobs):
            results += r
    npass = sum(1 for r in results if r[1])
    nfail = len(results) - npass
    for name, ok, msg in results:
        if not ok or args.v:
            print("%s %s %s" % ("PASS" if ok else "FAIL", name, msg if not ok else ""))
    print("%d passed, %d failed" % (npass, nfail))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print("work dir:", work)
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())

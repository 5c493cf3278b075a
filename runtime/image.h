/*
 * image.h: the ImageDecoder kernel's decoders (codegen/emit_image.c).
 *
 * dlcc_img_decode(data, n, out, H, W, fmt, ws, ws_size) looks at the
 * file's signature and decodes BMP, PNM (P4/P5/P6), TIFF (uncompressed),
 * PNG (every colour type, bit depths 1-16, Adam7; its own inflate),
 * Huffman-coded JPEG (baseline, extended or progressive), WebP (lossy
 * VP8 and lossless VP8L, simple or VP8X container; alpha ignored) or
 * JPEG 2000 (JP2 or raw codestream; OpenJPEG 2.5) into
 * out[H][W][C], C = 3 (fmt 0 RGB, 1 BGR) or 1 (fmt 2, Grayscale).  The
 * results are those of Pillow 9.4 (libjpeg-turbo 2.1, libwebp 1.2,
 * OpenJPEG 2.5):
 * convert("RGB") /
 * convert("L"), L = (R*19595 + G*38470 + B*7471 + 0x8000) >> 16.  JPEG
 * follows libjpeg-turbo's default decoding to the bit: jidctint.c's islow
 * IDCT with its range-limit table, jdsample.c's fancy (triangle)
 * upsampling, jdcolor.c's YCbCr tables; progressive scans (jdphuff.c) fill
 * a coefficient buffer that is transformed once every scan is read (no
 * block smoothing then, as in libjpeg).  Lossy WebP follows libwebp's
 * VP8 decoder, loop filters, fancy upsampling and fixed-point YUV -> RGB
 * to the bit (see the WebP sections).
 *
 * It returns 0, -DLCC_ERR_SHAPE when the image is not H x W, or
 * -DLCC_ERR_ARG for malformed or unsupported data (arithmetic-coded or
 * lossless JPEG, animated WebP, GIF, compressed TIFF...).  It never reads
 * outside data[0, n) and never writes outside out and ws[0, ws_size); all
 * memory comes from
 * ws: DLCC_IMG_STATE + max(n + H * (8W + 8) + 64, 9 (W + 32)(H + 32) +
 * 4 (W + 32), 40WH + 1536 (W + H) + 40n + 524288) bytes
 * (codegen/emit_image.c requests exactly that).
 */
#include <stdint.h>
#include <string.h>

#ifndef DLCC_RT_FN
#if defined(__GNUC__) || defined(__clang__)
#define DLCC_RT_FN static __attribute__((unused))
#else
#define DLCC_RT_FN static inline
#endif
#endif

#define DLCC_IMG_EARG (-1)
#define DLCC_IMG_ESHAPE (-3)
#define DLCC_IMG_STATE 32768

typedef struct DlccImgOut {
    uint8_t *out;
    int64_t h, w;
    int fmt; /* 0 RGB, 1 BGR, 2 Grayscale */
} DlccImgOut;

DLCC_RT_FN void dlcc_img_put(const DlccImgOut *o, int64_t y, int64_t x, int r, int g, int b) {
    if (o->fmt == 2) {
        o->out[y * o->w + x] = (uint8_t)((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);
        return;
    }
    uint8_t *p = o->out + (y * o->w + x) * 3;
    if (o->fmt == 1) {
        p[0] = (uint8_t)b, p[1] = (uint8_t)g, p[2] = (uint8_t)r;
    } else {
        p[0] = (uint8_t)r, p[1] = (uint8_t)g, p[2] = (uint8_t)b;
    }
}

DLCC_RT_FN uint32_t dlcc_img_le16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
DLCC_RT_FN uint32_t dlcc_img_le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
DLCC_RT_FN uint32_t dlcc_img_be16(const uint8_t *p) { return (uint32_t)p[0] << 8 | (uint32_t)p[1]; }
DLCC_RT_FN uint32_t dlcc_img_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* ---------------------------------------------------------------- BMP */

DLCC_RT_FN int dlcc_img_bmp(const uint8_t *d, int64_t n, const DlccImgOut *o) {
    if (n < 26)
        return DLCC_IMG_EARG;
    int64_t off = dlcc_img_le32(d + 10), hs = dlcc_img_le32(d + 14), w, h, bits, comp = 0, colors = 0, pal, pal_step;
    if (hs == 12) {
        w = dlcc_img_le16(d + 18), h = dlcc_img_le16(d + 20), bits = dlcc_img_le16(d + 24);
        pal = 26, pal_step = 3;
    } else if (hs >= 40 && n >= 54) {
        w = (int32_t)dlcc_img_le32(d + 18), h = (int32_t)dlcc_img_le32(d + 22), bits = dlcc_img_le16(d + 28);
        comp = dlcc_img_le32(d + 30), colors = dlcc_img_le32(d + 46);
        pal = 14 + hs, pal_step = 4;
        if (comp == 3 && hs == 40)
            pal += 12;
    } else {
        return DLCC_IMG_EARG;
    }
    int top_down = h < 0;
    if (top_down)
        h = -h;
    if (w <= 0 || h <= 0)
        return DLCC_IMG_EARG;
    if (bits != 1 && bits != 4 && bits != 8 && bits != 24 && bits != 32)
        return DLCC_IMG_EARG;
    if (comp == 3) {
        /* BI_BITFIELDS: only the usual 8-bit masks of 32-bit pixels */
        if (bits != 32 || n < 66 || dlcc_img_le32(d + 54) != 0xff0000u || dlcc_img_le32(d + 58) != 0xff00u ||
            dlcc_img_le32(d + 62) != 0xffu)
            return DLCC_IMG_EARG;
    } else if (comp != 0) {
        return DLCC_IMG_EARG;
    }
    if (w != o->w || h != o->h)
        return DLCC_IMG_ESHAPE;
    int64_t stride = (bits * w + 31) / 32 * 4;
    if (off < 0 || off > n || (n - off) / stride < h)
        return DLCC_IMG_EARG;
    if (bits <= 8) {
        if (colors <= 0 || colors > (1 << bits))
            colors = (int64_t)1 << bits;
        if (pal + colors * pal_step > n)
            return DLCC_IMG_EARG;
    }
    for (int64_t y = 0; y < h; y++) {
        const uint8_t *row = d + off + (top_down ? y : h - 1 - y) * stride;
        for (int64_t x = 0; x < w; x++) {
            int r, g, b;
            if (bits >= 24) {
                const uint8_t *p = row + x * (bits / 8);
                b = p[0], g = p[1], r = p[2];
            } else {
                int i = bits == 8 ? row[x] : bits == 4 ? (row[x >> 1] >> (x & 1 ? 0 : 4)) & 15 : (row[x >> 3] >> (7 - (x & 7))) & 1;
                if (i < colors) {
                    const uint8_t *p = d + pal + i * pal_step;
                    b = p[0], g = p[1], r = p[2];
                } else {
                    r = g = b = i;
                }
            }
            dlcc_img_put(o, y, x, r, g, b);
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- PNM */

/* Reads the next decimal header token (after whitespace and # comments). */
DLCC_RT_FN int64_t dlcc_img_pnm_int(const uint8_t *d, int64_t n, int64_t *pos) {
    int64_t p = *pos;
    for (;;) {
        if (p >= n)
            return -1;
        if (d[p] == '#') {
            while (p < n && d[p] != '\n' && d[p] != '\r')
                p++;
        } else if (d[p] == ' ' || d[p] == '\t' || d[p] == '\n' || d[p] == '\r' || d[p] == '\v' || d[p] == '\f') {
            p++;
        } else {
            break;
        }
    }
    int64_t v = 0;
    int digits = 0;
    while (p < n && d[p] >= '0' && d[p] <= '9' && digits < 12)
        v = v * 10 + (d[p++] - '0'), digits++;
    if (!digits || (p < n && d[p] >= '0' && d[p] <= '9'))
        return -1;
    *pos = p;
    return v;
}

DLCC_RT_FN int dlcc_img_pnm(const uint8_t *d, int64_t n, const DlccImgOut *o) {
    int kind = d[1] - '0';
    int64_t pos = 2;
    int64_t w = dlcc_img_pnm_int(d, n, &pos), h = dlcc_img_pnm_int(d, n, &pos), maxval = 1;
    if (w <= 0 || h <= 0)
        return DLCC_IMG_EARG;
    if (kind != 4) {
        maxval = dlcc_img_pnm_int(d, n, &pos);
        if (maxval != 255)
            return DLCC_IMG_EARG;
    }
    if (pos >= n)
        return DLCC_IMG_EARG;
    pos++; /* one whitespace byte */
    if (w != o->w || h != o->h)
        return DLCC_IMG_ESHAPE;
    int64_t stride = kind == 4 ? (w + 7) / 8 : kind == 5 ? w : 3 * w;
    if ((n - pos) / stride < h)
        return DLCC_IMG_EARG;
    for (int64_t y = 0; y < h; y++) {
        const uint8_t *row = d + pos + y * stride;
        for (int64_t x = 0; x < w; x++) {
            if (kind == 6) {
                dlcc_img_put(o, y, x, row[3 * x], row[3 * x + 1], row[3 * x + 2]);
            } else {
                int v = kind == 5 ? row[x] : ((row[x >> 3] >> (7 - (x & 7))) & 1) ? 0 : 255;
                dlcc_img_put(o, y, x, v, v, v);
            }
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- TIFF */

typedef struct DlccTiff {
    const uint8_t *d;
    int64_t n;
    int be;
} DlccTiff;

DLCC_RT_FN uint32_t dlcc_tiff_u16(const DlccTiff *t, int64_t p) {
    return t->be ? dlcc_img_be16(t->d + p) : dlcc_img_le16(t->d + p);
}
DLCC_RT_FN uint32_t dlcc_tiff_u32(const DlccTiff *t, int64_t p) {
    return t->be ? dlcc_img_be32(t->d + p) : dlcc_img_le32(t->d + p);
}

/* Value i of an IFD entry at e (SHORT or LONG); -1 when out of range. */
DLCC_RT_FN int64_t dlcc_tiff_val(const DlccTiff *t, int64_t e, int64_t i) {
    uint32_t type = dlcc_tiff_u16(t, e + 2), count = dlcc_tiff_u32(t, e + 4);
    int64_t sz = type == 3 ? 2 : type == 4 ? 4 : type == 1 ? 1 : 0;
    if (!sz || i >= (int64_t)count)
        return -1;
    int64_t p = (int64_t)count * sz <= 4 ? e + 8 : (int64_t)dlcc_tiff_u32(t, e + 8);
    p += i * sz;
    if (p < 0 || p + sz > t->n)
        return -1;
    return sz == 2 ? (int64_t)dlcc_tiff_u16(t, p) : sz == 4 ? (int64_t)dlcc_tiff_u32(t, p) : (int64_t)t->d[p];
}

DLCC_RT_FN int dlcc_img_tiff(const uint8_t *d, int64_t n, const DlccImgOut *o) {
    DlccTiff t = {d, n, d[0] == 'M'};
    if (n < 8)
        return DLCC_IMG_EARG;
    int64_t ifd = dlcc_tiff_u32(&t, 4);
    if (ifd < 8 || ifd + 2 > n)
        return DLCC_IMG_EARG;
    int64_t ne = dlcc_tiff_u16(&t, ifd);
    if (ifd + 2 + ne * 12 > n)
        return DLCC_IMG_EARG;
    int64_t w = -1, h = -1, bps = 1, comp = 1, photo = -1, spp = 1, rps = -1, planar = 1, pred = 1, fill = 1;
    int64_t e_off = -1, e_cnt = -1, e_bps = -1, e_cmap = -1;
    for (int64_t i = 0; i < ne; i++) {
        int64_t e = ifd + 2 + i * 12;
        uint32_t tag = dlcc_tiff_u16(&t, e);
        switch (tag) {
        case 256: w = dlcc_tiff_val(&t, e, 0); break;
        case 257: h = dlcc_tiff_val(&t, e, 0); break;
        case 258: e_bps = e; break;
        case 259: comp = dlcc_tiff_val(&t, e, 0); break;
        case 262: photo = dlcc_tiff_val(&t, e, 0); break;
        case 266: fill = dlcc_tiff_val(&t, e, 0); break;
        case 273: e_off = e; break;
        case 277: spp = dlcc_tiff_val(&t, e, 0); break;
        case 278: rps = dlcc_tiff_val(&t, e, 0); break;
        case 279: e_cnt = e; break;
        case 284: planar = dlcc_tiff_val(&t, e, 0); break;
        case 317: pred = dlcc_tiff_val(&t, e, 0); break;
        case 320: e_cmap = e; break;
        case 322: case 323: return DLCC_IMG_EARG; /* tiles */
        default: break;
        }
    }
    if (e_bps >= 0)
        for (int64_t s = 0; s < spp; s++) {
            int64_t b = dlcc_tiff_val(&t, e_bps, s);
            if (s == 0 || b >= 0)
                bps = b;
            if (b >= 0 && b != bps)
                return DLCC_IMG_EARG;
        }
    if (w <= 0 || h <= 0 || e_off < 0 || comp != 1 || pred != 1 || fill != 1 || bps != 8 || (planar != 1 && spp > 1))
        return DLCC_IMG_EARG;
    if (!((photo == 0 || photo == 1 || photo == 3) && spp >= 1 && spp <= 2) && !(photo == 2 && spp >= 3 && spp <= 4))
        return DLCC_IMG_EARG;
    if (photo == 3 && (e_cmap < 0 || dlcc_tiff_val(&t, e_cmap, 3 * 256 - 1) < 0))
        return DLCC_IMG_EARG;
    if (w != o->w || h != o->h)
        return DLCC_IMG_ESHAPE;
    if (rps <= 0 || rps > h)
        rps = h;
    int64_t stride = w * spp, y = 0;
    for (int64_t s = 0; y < h; s++) {
        int64_t off = dlcc_tiff_val(&t, e_off, s);
        int64_t rows = DLCC_MIN(rps, h - y);
        if (off < 0 || off > n || (n - off) / stride < rows)
            return DLCC_IMG_EARG;
        (void)e_cnt;
        for (int64_t r = 0; r < rows; r++, y++) {
            const uint8_t *row = d + off + r * stride;
            for (int64_t x = 0; x < w; x++) {
                const uint8_t *p = row + x * spp;
                if (photo == 2) {
                    dlcc_img_put(o, y, x, p[0], p[1], p[2]);
                } else if (photo == 3) {
                    int rr = (int)(dlcc_tiff_val(&t, e_cmap, p[0]) >> 8);
                    int gg = (int)(dlcc_tiff_val(&t, e_cmap, 256 + p[0]) >> 8);
                    int bb = (int)(dlcc_tiff_val(&t, e_cmap, 512 + p[0]) >> 8);
                    dlcc_img_put(o, y, x, rr, gg, bb);
                } else {
                    int v = photo == 0 ? 255 - p[0] : p[0];
                    dlcc_img_put(o, y, x, v, v, v);
                }
            }
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- inflate (RFC 1951) */

typedef struct DlccInfl {
    const uint8_t *in;
    int64_t n, pos;
    uint32_t bitbuf;
    int bitcnt;
    uint8_t *out;
    int64_t cap, len;
} DlccInfl;

typedef struct DlccHuff {
    int16_t count[16];
    int16_t symbol[288];
} DlccHuff;

DLCC_RT_FN int dlcc_infl_bits(DlccInfl *s, int need) {
    uint32_t v = s->bitbuf;
    while (s->bitcnt < need) {
        if (s->pos >= s->n)
            return -1;
        v |= (uint32_t)s->in[s->pos++] << s->bitcnt;
        s->bitcnt += 8;
    }
    s->bitbuf = v >> need;
    s->bitcnt -= need;
    return (int)(v & ((1u << need) - 1));
}

DLCC_RT_FN int dlcc_infl_decode(DlccInfl *s, const DlccHuff *h) {
    int code = 0, first = 0, index = 0;
    for (int len = 1; len < 16; len++) {
        int b = dlcc_infl_bits(s, 1);
        if (b < 0)
            return -1;
        code |= b;
        int count = h->count[len];
        if (code - count < first)
            return h->symbol[index + (code - first)];
        index += count;
        first += count;
        first <<= 1;
        code <<= 1;
    }
    return -1;
}

/* Canonical code from lengths; 0 when complete or incomplete-but-usable,
 * -1 when over-subscribed. */
DLCC_RT_FN int dlcc_infl_build(DlccHuff *h, const int16_t *length, int n) {
    int16_t offs[16];
    for (int len = 0; len < 16; len++)
        h->count[len] = 0;
    for (int i = 0; i < n; i++)
        h->count[length[i]]++;
    if (h->count[0] == n)
        return 0;
    int left = 1;
    for (int len = 1; len < 16; len++) {
        left <<= 1;
        left -= h->count[len];
        if (left < 0)
            return -1;
    }
    offs[1] = 0;
    for (int len = 1; len < 15; len++)
        offs[len + 1] = (int16_t)(offs[len] + h->count[len]);
    for (int i = 0; i < n; i++)
        if (length[i] != 0)
            h->symbol[offs[length[i]]++] = (int16_t)i;
    return left;
}

DLCC_RT_FN int dlcc_infl_codes(DlccInfl *s, const DlccHuff *lc, const DlccHuff *dc) {
    static const int16_t lbase[29] = {3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
                                      35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
    static const int16_t lext[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
    static const int16_t dbase[30] = {1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129,
                                      193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
    static const int16_t dext[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
    for (;;) {
        int sym = dlcc_infl_decode(s, lc);
        if (sym < 0)
            return -1;
        if (sym < 256) {
            if (s->len >= s->cap)
                return -1;
            s->out[s->len++] = (uint8_t)sym;
        } else if (sym == 256) {
            return 0;
        } else {
            sym -= 257;
            if (sym >= 29)
                return -1;
            int e = dlcc_infl_bits(s, lext[sym]);
            if (e < 0)
                return -1;
            int64_t len = lbase[sym] + e;
            int ds = dlcc_infl_decode(s, dc);
            if (ds < 0 || ds >= 30)
                return -1;
            e = dlcc_infl_bits(s, dext[ds]);
            if (e < 0)
                return -1;
            int64_t dist = dbase[ds] + e;
            if (dist > s->len || len > s->cap - s->len)
                return -1;
            for (int64_t i = 0; i < len; i++, s->len++)
                s->out[s->len] = s->out[s->len - dist];
        }
    }
}

/* Inflates a zlib stream into out[0, cap); returns the length or -1. */
DLCC_RT_FN int64_t dlcc_inflate(const uint8_t *in, int64_t n, uint8_t *out, int64_t cap) {
    if (n < 2 || (in[0] & 15) != 8 || (in[0] >> 4) > 7 || ((in[0] << 8) | in[1]) % 31 != 0 || (in[1] & 32))
        return -1;
    DlccInfl s = {in, n, 2, 0, 0, out, cap, 0};
    DlccHuff lc, dc;
    int16_t lengths[320];
    int last;
    do {
        last = dlcc_infl_bits(&s, 1);
        int type = dlcc_infl_bits(&s, 2);
        if (last < 0 || type < 0)
            return -1;
        if (type == 0) {
            s.bitbuf = 0, s.bitcnt = 0;
            if (s.pos + 4 > s.n)
                return -1;
            int64_t len = s.in[s.pos] | s.in[s.pos + 1] << 8;
            if ((s.in[s.pos + 2] | s.in[s.pos + 3] << 8) != (~len & 0xffff))
                return -1;
            s.pos += 4;
            if (len > s.n - s.pos || len > s.cap - s.len)
                return -1;
            memcpy(s.out + s.len, s.in + s.pos, (size_t)len);
            s.len += len, s.pos += len;
        } else if (type == 1) {
            int i = 0;
            for (; i < 144; i++) lengths[i] = 8;
            for (; i < 256; i++) lengths[i] = 9;
            for (; i < 280; i++) lengths[i] = 7;
            for (; i < 288; i++) lengths[i] = 8;
            dlcc_infl_build(&lc, lengths, 288);
            for (i = 0; i < 30; i++) lengths[i] = 5;
            dlcc_infl_build(&dc, lengths, 30);
            if (dlcc_infl_codes(&s, &lc, &dc) < 0)
                return -1;
        } else if (type == 2) {
            static const uint8_t order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
            int nlen = dlcc_infl_bits(&s, 5), ndist = dlcc_infl_bits(&s, 5), ncode = dlcc_infl_bits(&s, 4);
            if (nlen < 0 || ndist < 0 || ncode < 0)
                return -1;
            nlen += 257, ndist += 1, ncode += 4;
            if (nlen > 286 || ndist > 30)
                return -1;
            int idx;
            for (idx = 0; idx < 19; idx++)
                lengths[idx] = 0;
            for (idx = 0; idx < ncode; idx++) {
                int v = dlcc_infl_bits(&s, 3);
                if (v < 0)
                    return -1;
                lengths[order[idx]] = (int16_t)v;
            }
            if (dlcc_infl_build(&lc, lengths, 19) != 0)
                return -1;
            idx = 0;
            while (idx < nlen + ndist) {
                int sym = dlcc_infl_decode(&s, &lc);
                if (sym < 0)
                    return -1;
                if (sym < 16) {
                    lengths[idx++] = (int16_t)sym;
                } else {
                    int16_t len = 0;
                    int rep;
                    if (sym == 16) {
                        if (idx == 0)
                            return -1;
                        len = lengths[idx - 1];
                        rep = dlcc_infl_bits(&s, 2);
                        rep = rep < 0 ? -1 : 3 + rep;
                    } else if (sym == 17) {
                        rep = dlcc_infl_bits(&s, 3);
                        rep = rep < 0 ? -1 : 3 + rep;
                    } else {
                        rep = dlcc_infl_bits(&s, 7);
                        rep = rep < 0 ? -1 : 11 + rep;
                    }
                    if (rep < 0 || idx + rep > nlen + ndist)
                        return -1;
                    while (rep--)
                        lengths[idx++] = len;
                }
            }
            if (lengths[256] == 0)
                return -1;
            int err = dlcc_infl_build(&lc, lengths, nlen);
            if (err < 0 || (err > 0 && nlen - lc.count[0] != 1))
                return -1;
            err = dlcc_infl_build(&dc, lengths + nlen, ndist);
            if (err < 0 || (err > 0 && ndist - dc.count[0] != 1))
                return -1;
            if (dlcc_infl_codes(&s, &lc, &dc) < 0)
                return -1;
        } else {
            return -1;
        }
    } while (!last);
    return s.len;
}

/* ---------------------------------------------------------------- PNG */

DLCC_RT_FN int dlcc_png_paeth(int a, int b, int c) {
    int p = a + b - c, pa = p > a ? p - a : a - p, pb = p > b ? p - b : b - p, pc = p > c ? p - c : c - p;
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* Undoes the filters of rows x (1 + rowbytes) bytes in place. */
DLCC_RT_FN int dlcc_png_unfilter(uint8_t *p, int64_t rows, int64_t rowbytes, int bpp) {
    for (int64_t y = 0; y < rows; y++) {
        uint8_t *row = p + y * (rowbytes + 1) + 1;
        const uint8_t *prev = y ? row - (rowbytes + 1) : NULL;
        int f = row[-1];
        for (int64_t i = 0; i < rowbytes; i++) {
            int a = i >= bpp ? row[i - bpp] : 0, b = prev ? prev[i] : 0, c = prev && i >= bpp ? prev[i - bpp] : 0;
            switch (f) {
            case 0: break;
            case 1: row[i] = (uint8_t)(row[i] + a); break;
            case 2: row[i] = (uint8_t)(row[i] + b); break;
            case 3: row[i] = (uint8_t)(row[i] + ((a + b) >> 1)); break;
            case 4: row[i] = (uint8_t)(row[i] + dlcc_png_paeth(a, b, c)); break;
            default: return -1;
            }
        }
    }
    return 0;
}

/* Pixel x of an unfiltered row as Pillow's convert("RGB") sees it. */
DLCC_RT_FN void dlcc_png_pixel(const uint8_t *row, int64_t x, int ct, int depth, const uint8_t *plte, int nplte,
                               int *r, int *g, int *b) {
    if (depth < 8) {
        int per = 8 / depth;
        int v = (row[x / per] >> ((per - 1 - (int)(x % per)) * depth)) & ((1 << depth) - 1);
        if (ct == 3) {
            if (v < nplte)
                *r = plte[3 * v], *g = plte[3 * v + 1], *b = plte[3 * v + 2];
            else
                *r = *g = *b = v; /* Pillow's palette starts as a grey ramp */
        } else {
            *r = *g = *b = v * (depth == 1 ? 255 : depth == 2 ? 85 : 17);
        }
        return;
    }
    int bs = depth / 8;
    int ch = ct == 0 ? 1 : ct == 2 ? 3 : ct == 3 ? 1 : ct == 4 ? 2 : 4;
    const uint8_t *p = row + x * ch * bs;
    if (ct == 3) {
        int v = p[0];
        if (v < nplte)
            *r = plte[3 * v], *g = plte[3 * v + 1], *b = plte[3 * v + 2];
        else
            *r = *g = *b = v;
    } else if (ct == 0 || ct == 4) {
        int v = p[0];
        if (bs == 2 && ct == 0) { /* mode I: clipped to 0..255 */
            int full = p[0] << 8 | p[1];
            v = full > 255 ? 255 : full;
        }
        *r = *g = *b = v;
    } else {
        *r = p[0], *g = p[bs], *b = p[2 * bs];
    }
}

DLCC_RT_FN int dlcc_img_png(const uint8_t *d, int64_t n, const DlccImgOut *o, uint8_t *ws, int64_t ws_size) {
    int64_t pos = 8, w = 0, h = 0, idat = 0;
    int depth = 0, ct = 0, interlace = 0, nplte = 0, seen_ihdr = 0, seen_iend = 0;
    const uint8_t *plte = NULL;
    uint8_t *z = ws;
    /* 1. chunks: IHDR, PLTE, IDAT (gathered at ws), IEND */
    while (pos + 8 <= n) {
        int64_t len = dlcc_img_be32(d + pos);
        const uint8_t *type = d + pos + 4, *body = d + pos + 8;
        if (len > n - pos - 12)
            return DLCC_IMG_EARG;
        if (!memcmp(type, "IHDR", 4)) {
            if (len < 13)
                return DLCC_IMG_EARG;
            w = dlcc_img_be32(body), h = dlcc_img_be32(body + 4);
            depth = body[8], ct = body[9], interlace = body[12];
            if (body[10] || body[11] || interlace > 1)
                return DLCC_IMG_EARG;
            int ok = (ct == 0 && (depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16)) ||
                     (ct == 3 && (depth == 1 || depth == 2 || depth == 4 || depth == 8)) ||
                     ((ct == 2 || ct == 4 || ct == 6) && (depth == 8 || depth == 16));
            if (!ok || w <= 0 || h <= 0)
                return DLCC_IMG_EARG;
            if (w != o->w || h != o->h)
                return DLCC_IMG_ESHAPE;
            seen_ihdr = 1;
        } else if (!memcmp(type, "PLTE", 4)) {
            plte = body, nplte = (int)(len / 3 > 256 ? 256 : len / 3);
        } else if (!memcmp(type, "IDAT", 4)) {
            if (idat + len > n || idat + len > ws_size)
                return DLCC_IMG_EARG;
            memcpy(z + idat, body, (size_t)len);
            idat += len;
        } else if (!memcmp(type, "IEND", 4)) {
            seen_iend = 1;
            break;
        }
        pos += 12 + len;
    }
    if (!seen_ihdr || !idat || (ct == 3 && !plte))
        return DLCC_IMG_EARG;
    (void)seen_iend;
    int ch = ct == 0 ? 1 : ct == 2 ? 3 : ct == 3 ? 1 : ct == 4 ? 2 : 4;
    int bitspp = ch * depth, bpp = bitspp < 8 ? 1 : bitspp / 8;
    /* 2. inflate after the compressed data */
    static const int ax0[7] = {0, 4, 0, 2, 0, 1, 0}, ay0[7] = {0, 0, 4, 0, 2, 0, 1};
    static const int adx[7] = {8, 8, 4, 4, 2, 2, 1}, ady[7] = {8, 8, 8, 4, 4, 2, 2};
    int64_t raw = 0;
    for (int p = 0; p < (interlace ? 7 : 1); p++) {
        int64_t pw = interlace ? (w - ax0[p] + adx[p] - 1) / adx[p] : w;
        int64_t ph = interlace ? (h - ay0[p] + ady[p] - 1) / ady[p] : h;
        if (pw > 0 && ph > 0)
            raw += ph * (1 + (pw * bitspp + 7) / 8);
    }
    uint8_t *u = z + idat;
    if (raw > ws_size - idat)
        return DLCC_IMG_EARG;
    if (dlcc_inflate(z, idat, u, raw) != raw)
        return DLCC_IMG_EARG;
    /* 3. unfilter each pass and convert */
    for (int p = 0; p < (interlace ? 7 : 1); p++) {
        int64_t pw = interlace ? (w - ax0[p] + adx[p] - 1) / adx[p] : w;
        int64_t ph = interlace ? (h - ay0[p] + ady[p] - 1) / ady[p] : h;
        if (pw <= 0 || ph <= 0)
            continue;
        int64_t rb = (pw * bitspp + 7) / 8;
        if (dlcc_png_unfilter(u, ph, rb, bpp) < 0)
            return DLCC_IMG_EARG;
        for (int64_t y = 0; y < ph; y++) {
            const uint8_t *row = u + y * (rb + 1) + 1;
            for (int64_t x = 0; x < pw; x++) {
                int r, g, b;
                dlcc_png_pixel(row, x, ct, depth, plte, nplte, &r, &g, &b);
                if (interlace)
                    dlcc_img_put(o, ay0[p] + y * ady[p], ax0[p] + x * adx[p], r, g, b);
                else
                    dlcc_img_put(o, y, x, r, g, b);
            }
        }
        u += ph * (rb + 1);
    }
    return 0;
}

/* ---------------------------------------------------------------- JPEG (baseline, libjpeg-turbo exact) */

typedef struct DlccJHuff {
    int32_t maxcode[18], valptr[17], mincode[17];
    uint8_t vals[256];
    int present;
} DlccJHuff;

typedef struct DlccJComp {
    int id, h, v, tq, td, ta;
    int64_t pred; /* DC predictor (libjpeg: int; 64-bit here so corrupt data cannot overflow) */
    int64_t pw, ph, dw, dh; /* plane (whole MCUs) and real (downsampled) sizes */
    uint8_t *plane;
    int16_t *coef; /* progressive: every block's coefficients (pw / 8 x ph / 8 blocks) */
} DlccJComp;

typedef struct DlccJpeg {
    const uint8_t *d;
    int64_t n, pos;
    uint64_t bitbuf;
    int bits, marker_hit;
    uint16_t q[4][64];
    int q_present[4];
    DlccJHuff dc[4], ac[4];
    DlccJComp c[4];
    int nc, hmax, vmax, restart, adobe, adobe_transform, jfif, progressive;
    int ss, se, ah, al;
    int64_t eobrun;
    int64_t w, h, mcux, mcuy;
} DlccJpeg;

/* zigzag index -> natural index, with libjpeg-turbo's 16 extra entries */
static const uint8_t dlcc_jpeg_natural[80] = {
    0,  1,  8,  16, 9,  2,  3,  10, 17, 24, 32, 25, 18, 11, 4,  5,  12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13,
    6,  7,  14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31,
    39, 46, 53, 60, 61, 54, 47, 55, 62, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63};

/* Makes at least 25 bits available; a marker feeds zeros (as libjpeg
 * does); the end of the data is an error (Pillow: truncated file). */
DLCC_RT_FN int dlcc_jpeg_fill(DlccJpeg *j) {
    while (j->bits <= 24) {
        int c = 0;
        if (!j->marker_hit) {
            if (j->pos >= j->n)
                return -1;
            c = j->d[j->pos];
            if (c == 0xFF) {
                int64_t p = j->pos + 1;
                while (p < j->n && j->d[p] == 0xFF)
                    p++;
                if (p >= j->n)
                    return -1;
                if (j->d[p] == 0) {
                    j->pos = p + 1;
                } else {
                    j->marker_hit = 1;
                    j->pos = p - 1; /* at the marker's 0xFF */
                    c = 0;
                }
            } else {
                j->pos++;
            }
        }
        j->bitbuf = (j->bitbuf << 8) | (uint64_t)c;
        j->bits += 8;
    }
    return 0;
}

DLCC_RT_FN int dlcc_jpeg_getbits(DlccJpeg *j, int n) {
    if (n == 0)
        return 0;
    if (j->bits < n && dlcc_jpeg_fill(j) < 0)
        return -1;
    j->bits -= n;
    return (int)((j->bitbuf >> j->bits) & ((1u << n) - 1));
}

DLCC_RT_FN int dlcc_jpeg_huff(DlccJpeg *j, const DlccJHuff *t) {
    int32_t code = 0;
    for (int l = 1; l <= 16; l++) {
        int b = dlcc_jpeg_getbits(j, 1);
        if (b < 0)
            return -1;
        code = (code << 1) | b;
        if (code <= t->maxcode[l])
            return t->vals[(t->valptr[l] + code - t->mincode[l]) & 255];
    }
    return -2; /* corrupt code: libjpeg returns 0 with a warning */
}

DLCC_RT_FN int dlcc_jpeg_extend(int v, int s) { return v < (1 << (s - 1)) ? v - (1 << s) + 1 : v; }

DLCC_RT_FN int dlcc_jpeg_range(int32_t x) {
    int v = (int)(x & 1023);
    if (v >= 512)
        v -= 1024;
    v += 128;
    return v < 0 ? 0 : v > 255 ? 255 : v;
}

#define DLCC_JFIX_0_298631336 ((int32_t)2446)
#define DLCC_JFIX_0_390180644 ((int32_t)3196)
#define DLCC_JFIX_0_541196100 ((int32_t)4433)
#define DLCC_JFIX_0_765366865 ((int32_t)6270)
#define DLCC_JFIX_0_899976223 ((int32_t)7373)
#define DLCC_JFIX_1_175875602 ((int32_t)9633)
#define DLCC_JFIX_1_501321110 ((int32_t)12299)
#define DLCC_JFIX_1_847759065 ((int32_t)15137)
#define DLCC_JFIX_1_961570560 ((int32_t)16069)
#define DLCC_JFIX_2_053119869 ((int32_t)16819)
#define DLCC_JFIX_2_562915447 ((int32_t)20995)
#define DLCC_JFIX_3_072711026 ((int32_t)25172)
#define DLCC_JDESCALE(x, n) (((int64_t)(x) + ((int64_t)1 << ((n)-1))) >> (n))

/* jidctint.c's jpeg_idct_islow: coef (natural order) x quant -> 8x8 samples;
 * 64-bit intermediates like JLONG, 32-bit workspace like libjpeg's int. */
DLCC_RT_FN void dlcc_jpeg_idct(const int16_t *coef, const uint16_t *quant, uint8_t *out, int64_t stride) {
    int32_t ws[64];
    for (int col = 0; col < 8; col++) {
        const int16_t *in = coef + col;
        const uint16_t *q = quant + col;
        int32_t *wp = ws + col;
#define DLCC_JDQ(k) ((int64_t)in[8 * (k)] * (int16_t)q[8 * (k)])
        if (!in[8] && !in[16] && !in[24] && !in[32] && !in[40] && !in[48] && !in[56]) {
            int32_t dc = (int32_t)(DLCC_JDQ(0) * 4);
            for (int k = 0; k < 8; k++)
                wp[8 * k] = dc;
            continue;
        }
        int64_t z1, z2, z3, z4, z5, t0, t1, t2, t3, t10, t11, t12, t13;
        z2 = DLCC_JDQ(2), z3 = DLCC_JDQ(6);
        z1 = (z2 + z3) * DLCC_JFIX_0_541196100;
        t2 = z1 + z3 * -DLCC_JFIX_1_847759065;
        t3 = z1 + z2 * DLCC_JFIX_0_765366865;
        z2 = DLCC_JDQ(0), z3 = DLCC_JDQ(4);
        t0 = (z2 + z3) * 8192;
        t1 = (z2 - z3) * 8192;
        t10 = t0 + t3, t13 = t0 - t3, t11 = t1 + t2, t12 = t1 - t2;
        t0 = DLCC_JDQ(7), t1 = DLCC_JDQ(5), t2 = DLCC_JDQ(3), t3 = DLCC_JDQ(1);
#undef DLCC_JDQ
        z1 = t0 + t3, z2 = t1 + t2, z3 = t0 + t2, z4 = t1 + t3;
        z5 = (z3 + z4) * DLCC_JFIX_1_175875602;
        t0 = t0 * DLCC_JFIX_0_298631336, t1 = t1 * DLCC_JFIX_2_053119869;
        t2 = t2 * DLCC_JFIX_3_072711026, t3 = t3 * DLCC_JFIX_1_501321110;
        z1 = z1 * -DLCC_JFIX_0_899976223, z2 = z2 * -DLCC_JFIX_2_562915447;
        z3 = z3 * -DLCC_JFIX_1_961570560, z4 = z4 * -DLCC_JFIX_0_390180644;
        z3 += z5, z4 += z5;
        t0 += z1 + z3, t1 += z2 + z4, t2 += z2 + z3, t3 += z1 + z4;
        wp[0] = (int32_t)DLCC_JDESCALE(t10 + t3, 11), wp[56] = (int32_t)DLCC_JDESCALE(t10 - t3, 11);
        wp[8] = (int32_t)DLCC_JDESCALE(t11 + t2, 11), wp[48] = (int32_t)DLCC_JDESCALE(t11 - t2, 11);
        wp[16] = (int32_t)DLCC_JDESCALE(t12 + t1, 11), wp[40] = (int32_t)DLCC_JDESCALE(t12 - t1, 11);
        wp[24] = (int32_t)DLCC_JDESCALE(t13 + t0, 11), wp[32] = (int32_t)DLCC_JDESCALE(t13 - t0, 11);
    }
    for (int row = 0; row < 8; row++) {
        const int32_t *wp = ws + 8 * row;
        uint8_t *o = out + row * stride;
        if (!wp[1] && !wp[2] && !wp[3] && !wp[4] && !wp[5] && !wp[6] && !wp[7]) {
            uint8_t v = (uint8_t)dlcc_jpeg_range((int32_t)DLCC_JDESCALE(wp[0], 5));
            for (int k = 0; k < 8; k++)
                o[k] = v;
            continue;
        }
        int64_t z1, z2, z3, z4, z5, t0, t1, t2, t3, t10, t11, t12, t13;
        z2 = wp[2], z3 = wp[6];
        z1 = (z2 + z3) * DLCC_JFIX_0_541196100;
        t2 = z1 + z3 * -DLCC_JFIX_1_847759065;
        t3 = z1 + z2 * DLCC_JFIX_0_765366865;
        t0 = ((int64_t)wp[0] + wp[4]) * 8192;
        t1 = ((int64_t)wp[0] - wp[4]) * 8192;
        t10 = t0 + t3, t13 = t0 - t3, t11 = t1 + t2, t12 = t1 - t2;
        t0 = wp[7], t1 = wp[5], t2 = wp[3], t3 = wp[1];
        z1 = t0 + t3, z2 = t1 + t2, z3 = t0 + t2, z4 = t1 + t3;
        z5 = (z3 + z4) * DLCC_JFIX_1_175875602;
        t0 = t0 * DLCC_JFIX_0_298631336, t1 = t1 * DLCC_JFIX_2_053119869;
        t2 = t2 * DLCC_JFIX_3_072711026, t3 = t3 * DLCC_JFIX_1_501321110;
        z1 = z1 * -DLCC_JFIX_0_899976223, z2 = z2 * -DLCC_JFIX_2_562915447;
        z3 = z3 * -DLCC_JFIX_1_961570560, z4 = z4 * -DLCC_JFIX_0_390180644;
        z3 += z5, z4 += z5;
        t0 += z1 + z3, t1 += z2 + z4, t2 += z2 + z3, t3 += z1 + z4;
        o[0] = (uint8_t)dlcc_jpeg_range((int32_t)DLCC_JDESCALE(t10 + t3, 18));
        o[7] = (uint8_t)dlcc_jpeg_range((int32_t)DLCC_JDESCALE(t10 - t3, 18));
        o[1] = (uint8_t)dlcc_jpeg_range((int32_t)DLCC_JDESCALE(t11 + t2, 18));
        o[6] = (uint8_t)dlcc_jpeg_range((int32_t)DLCC_JDESCALE(t11 - t2, 18));
        o[2] = (uint8_t)dlcc_jpeg_range((int32_t)DLCC_JDESCALE(t12 + t1, 18));
        o[5] = (uint8_t)dlcc_jpeg_range((int32_t)DLCC_JDESCALE(t12 - t1, 18));
        o[3] = (uint8_t)dlcc_jpeg_range((int32_t)DLCC_JDESCALE(t13 + t0, 18));
        o[4] = (uint8_t)dlcc_jpeg_range((int32_t)DLCC_JDESCALE(t13 - t0, 18));
    }
}

/* The DC difference of a block of component c: a Huffman-coded bit count,
 * then that many bits (F.2.2.1); -1 on bad data. */
DLCC_RT_FN int dlcc_jpeg_dc_diff(DlccJpeg *j, const DlccJComp *c, int *diff) {
    int t = dlcc_jpeg_huff(j, &j->dc[c->td]);
    if (t == -1)
        return -1;
    if (t < 0)
        t = 0;
    if (t > 16)
        return -1;
    *diff = 0;
    if (t) {
        int v = dlcc_jpeg_getbits(j, t);
        if (v < 0)
            return -1;
        *diff = dlcc_jpeg_extend(v, t);
    }
    return 0;
}

/* Decodes one block of component c into its plane at block (bx, by). */
DLCC_RT_FN int dlcc_jpeg_block(DlccJpeg *j, DlccJComp *c, int64_t bx, int64_t by) {
    int16_t coef[64];
    memset(coef, 0, sizeof coef);
    int diff;
    if (dlcc_jpeg_dc_diff(j, c, &diff) < 0)
        return -1;
    c->pred += diff;
    coef[0] = (int16_t)c->pred;
    for (int k = 1; k < 64; k++) {
        int rs = dlcc_jpeg_huff(j, &j->ac[c->ta]);
        if (rs == -1)
            return -1;
        if (rs < 0)
            rs = 0;
        int r = rs >> 4, s = rs & 15;
        if (s) {
            k += r;
            int v = dlcc_jpeg_getbits(j, s);
            if (v < 0)
                return -1;
            coef[dlcc_jpeg_natural[k]] = (int16_t)dlcc_jpeg_extend(v, s);
        } else {
            if (r != 15)
                break;
            k += 15;
        }
    }
    dlcc_jpeg_idct(coef, j->q[c->tq], c->plane + by * 8 * c->pw + bx * 8, c->pw);
    return 0;
}

/* jdphuff.c: one block of a progressive scan, into the coefficients. */
DLCC_RT_FN int dlcc_jpeg_prog_block(DlccJpeg *j, DlccJComp *c, int64_t bx, int64_t by) {
    int16_t *coef = c->coef + (by * (c->pw / 8) + bx) * 64;
    if (j->ss == 0) { /* DC */
        if (j->ah == 0) {
            int diff;
            if (dlcc_jpeg_dc_diff(j, c, &diff) < 0)
                return -1;
            c->pred += diff;
            coef[0] = (int16_t)(int32_t)((uint32_t)c->pred << j->al);
        } else {
            int b = dlcc_jpeg_getbits(j, 1);
            if (b < 0)
                return -1;
            if (b)
                coef[0] = (int16_t)(coef[0] | (1 << j->al));
        }
        return 0;
    }
    const DlccJHuff *t = &j->ac[c->ta];
    if (j->ah == 0) { /* AC first */
        if (j->eobrun > 0) {
            j->eobrun--;
            return 0;
        }
        for (int k = j->ss; k <= j->se; k++) {
            int rs = dlcc_jpeg_huff(j, t);
            if (rs == -1)
                return -1;
            if (rs < 0)
                rs = 0;
            int r = rs >> 4, sz = rs & 15;
            if (sz) {
                k += r;
                int v = dlcc_jpeg_getbits(j, sz);
                if (v < 0)
                    return -1;
                coef[dlcc_jpeg_natural[k]] = (int16_t)(int32_t)((uint32_t)dlcc_jpeg_extend(v, sz) << j->al);
            } else if (r == 15) {
                k += 15;
            } else {
                j->eobrun = (int64_t)1 << r;
                if (r) {
                    int v = dlcc_jpeg_getbits(j, r);
                    if (v < 0)
                        return -1;
                    j->eobrun += v;
                }
                j->eobrun--;
                break;
            }
        }
        return 0;
    }
    /* AC refinement */
    int p1 = 1 << j->al, m1 = -(1 << j->al), k = j->ss;
    if (j->eobrun == 0) {
        for (; k <= j->se; k++) {
            int rs = dlcc_jpeg_huff(j, t);
            if (rs == -1)
                return -1;
            if (rs < 0)
                rs = 0;
            int r = rs >> 4, sz = rs & 15;
            if (sz) {
                int b = dlcc_jpeg_getbits(j, 1);
                if (b < 0)
                    return -1;
                sz = b ? p1 : m1;
            } else if (r != 15) {
                j->eobrun = (int64_t)1 << r;
                if (r) {
                    int v = dlcc_jpeg_getbits(j, r);
                    if (v < 0)
                        return -1;
                    j->eobrun += v;
                }
                break;
            }
            do {
                int16_t *tc = coef + dlcc_jpeg_natural[k];
                if (*tc != 0) {
                    int b = dlcc_jpeg_getbits(j, 1);
                    if (b < 0)
                        return -1;
                    if (b && (*tc & p1) == 0)
                        *tc = (int16_t)(*tc >= 0 ? *tc + p1 : *tc + m1);
                } else {
                    if (--r < 0)
                        break;
                }
                k++;
            } while (k <= j->se);
            if (sz)
                coef[dlcc_jpeg_natural[k]] = (int16_t)sz;
        }
    }
    if (j->eobrun > 0) {
        for (; k <= j->se; k++) {
            int16_t *tc = coef + dlcc_jpeg_natural[k];
            if (*tc != 0) {
                int b = dlcc_jpeg_getbits(j, 1);
                if (b < 0)
                    return -1;
                if (b && (*tc & p1) == 0)
                    *tc = (int16_t)(*tc >= 0 ? *tc + p1 : *tc + m1);
            }
        }
        j->eobrun--;
    }
    return 0;
}

DLCC_RT_FN int dlcc_jpeg_any_block(DlccJpeg *j, DlccJComp *c, int64_t bx, int64_t by) {
    return j->progressive ? dlcc_jpeg_prog_block(j, c, bx, by) : dlcc_jpeg_block(j, c, bx, by);
}

/* After a restart interval: drop the bits left, expect RSTn. */
DLCC_RT_FN int dlcc_jpeg_restart(DlccJpeg *j) {
    j->bits = 0, j->bitbuf = 0;
    if (!j->marker_hit) {
        /* skip to the marker (libjpeg discards the rest with a warning) */
        while (j->pos < j->n && j->d[j->pos] != 0xFF)
            j->pos++;
    }
    while (j->pos + 1 < j->n && j->d[j->pos] == 0xFF && j->d[j->pos + 1] == 0xFF)
        j->pos++;
    if (j->pos + 1 < j->n && j->d[j->pos] == 0xFF && j->d[j->pos + 1] >= 0xD0 && j->d[j->pos + 1] <= 0xD7)
        j->pos += 2;
    else if (j->pos + 1 >= j->n)
        return -1;
    j->marker_hit = 0;
    j->eobrun = 0;
    for (int i = 0; i < j->nc; i++)
        j->c[i].pred = 0;
    return 0;
}

DLCC_RT_FN int dlcc_jpeg_scan(DlccJpeg *j, const uint8_t *s, int64_t len) {
    if (len < 1)
        return -1;
    int ns = s[0];
    if (ns < 1 || ns > 4 || len < 4 + 2 * ns)
        return -1;
    DlccJComp *sc[4];
    for (int i = 0; i < ns; i++) {
        int id = s[1 + 2 * i], k;
        for (k = 0; k < j->nc && j->c[k].id != id; k++)
            ;
        if (k == j->nc)
            return -1;
        sc[i] = &j->c[k];
        sc[i]->td = s[2 + 2 * i] >> 4, sc[i]->ta = s[2 + 2 * i] & 15;
        sc[i]->pred = 0;
    }
    j->ss = s[1 + 2 * ns], j->se = s[2 + 2 * ns], j->ah = s[3 + 2 * ns] >> 4, j->al = s[3 + 2 * ns] & 15;
    j->eobrun = 0;
    if (j->progressive) {
        /* DC scans may interleave; AC scans have one component */
        if (j->ss > j->se || j->se > 63 || (j->ss == 0 && j->se != 0) || (j->ss > 0 && ns != 1) || j->al > 13)
            return -1;
    } else if (j->ss != 0 || j->se != 63 || j->ah || j->al) {
        return -1;
    }
    for (int i = 0; i < ns; i++) {
        int need_dc = !j->progressive || (j->ss == 0 && j->ah == 0), need_ac = !j->progressive || j->ss > 0;
        if (sc[i]->td > 3 || sc[i]->ta > 3 || (need_dc && !j->dc[sc[i]->td].present) ||
            (need_ac && !j->ac[sc[i]->ta].present) || !j->q_present[sc[i]->tq])
            return -1;
    }
    j->bits = 0, j->bitbuf = 0, j->marker_hit = 0;
    int64_t nx, ny;
    if (ns == 1) {
        nx = (sc[0]->dw + 7) / 8, ny = (sc[0]->dh + 7) / 8;
    } else {
        nx = j->mcux, ny = j->mcuy;
    }
    int64_t todo = j->restart;
    for (int64_t my = 0; my < ny; my++)
        for (int64_t mx = 0; mx < nx; mx++) {
            if (j->restart && todo == 0) {
                if (dlcc_jpeg_restart(j) < 0)
                    return -1;
                todo = j->restart;
            }
            if (ns == 1) {
                if (dlcc_jpeg_any_block(j, sc[0], mx, my) < 0)
                    return -1;
            } else {
                for (int i = 0; i < ns; i++)
                    for (int by = 0; by < sc[i]->v; by++)
                        for (int bx = 0; bx < sc[i]->h; bx++)
                            if (dlcc_jpeg_any_block(j, sc[i], mx * sc[i]->h + bx, my * sc[i]->v + by) < 0)
                                return -1;
            }
            todo--;
        }
    /* continue after the entropy-coded data */
    j->bits = 0, j->bitbuf = 0;
    while (j->pos + 1 < j->n && !(j->d[j->pos] == 0xFF && j->d[j->pos + 1] != 0 && j->d[j->pos + 1] != 0xFF &&
                                 !(j->d[j->pos + 1] >= 0xD0 && j->d[j->pos + 1] <= 0xD7)))
        j->pos++;
    return 0;
}

/* jdsample.c: one output row of component c, upsampled to the image width. */
DLCC_RT_FN void dlcc_jpeg_uprow(const DlccJpeg *j, const DlccJComp *c, int64_t y, uint8_t *row) {
    int hr = j->hmax / c->h, vr = j->vmax / c->v;
    int64_t w = j->w, dw = c->dw;
    if (hr == 1 && vr == 1) {
        memcpy(row, c->plane + y * c->pw, (size_t)w);
    } else if (hr == 2 && vr == 1 && dw > 2) {
        const uint8_t *in = c->plane + y * c->pw;
        uint8_t tmp[2];
        for (int64_t x = 0; x < dw; x++) {
            int a, b;
            if (x == 0) {
                a = in[0], b = (in[0] * 3 + in[1] + 2) >> 2;
            } else if (x == dw - 1) {
                a = (in[x] * 3 + in[x - 1] + 1) >> 2, b = in[x];
            } else {
                a = (in[x] * 3 + in[x - 1] + 1) >> 2, b = (in[x] * 3 + in[x + 1] + 2) >> 2;
            }
            tmp[0] = (uint8_t)a, tmp[1] = (uint8_t)b;
            if (2 * x < w) row[2 * x] = tmp[0];
            if (2 * x + 1 < w) row[2 * x + 1] = tmp[1];
        }
    } else if (hr == 2 && vr == 2 && dw > 2) {
        int64_t in0 = y / 2, in1 = (y & 1) ? in0 + 1 : in0 - 1;
        if (in1 < 0) in1 = 0;
        if (in1 > c->dh - 1) in1 = c->dh - 1;
        const uint8_t *p0 = c->plane + in0 * c->pw, *p1 = c->plane + in1 * c->pw;
        int last = 0, cur = p0[0] * 3 + p1[0];
        for (int64_t x = 0; x < dw; x++) {
            int next = x + 1 < dw ? p0[x + 1] * 3 + p1[x + 1] : 0;
            int a, b;
            if (x == 0) {
                a = (cur * 4 + 8) >> 4, b = (cur * 3 + next + 7) >> 4;
            } else if (x == dw - 1) {
                a = (cur * 3 + last + 8) >> 4, b = (cur * 4 + 7) >> 4;
            } else {
                a = (cur * 3 + last + 8) >> 4, b = (cur * 3 + next + 7) >> 4;
            }
            if (2 * x < w) row[2 * x] = (uint8_t)a;
            if (2 * x + 1 < w) row[2 * x + 1] = (uint8_t)b;
            last = cur, cur = next;
        }
    } else if (hr == 1 && vr == 2) {
        int64_t in0 = y / 2, in1 = (y & 1) ? in0 + 1 : in0 - 1;
        if (in1 < 0) in1 = 0;
        if (in1 > c->dh - 1) in1 = c->dh - 1;
        const uint8_t *p0 = c->plane + in0 * c->pw, *p1 = c->plane + in1 * c->pw;
        int bias = (y & 1) ? 2 : 1;
        for (int64_t x = 0; x < w; x++)
            row[x] = (uint8_t)((p0[x] * 3 + p1[x] + bias) >> 2);
    } else {
        const uint8_t *in = c->plane + (y / vr) * c->pw;
        for (int64_t x = 0; x < w; x++)
            row[x] = in[x / hr];
    }
}

DLCC_RT_FN int dlcc_jpeg_clamp(int v) { return v < 0 ? 0 : v > 255 ? 255 : v; }

DLCC_RT_FN int dlcc_img_jpeg(const uint8_t *d, int64_t n, const DlccImgOut *o, uint8_t *ws, int64_t ws_size) {
    if ((int64_t)sizeof(DlccJpeg) > DLCC_IMG_STATE || ws_size < DLCC_IMG_STATE)
        return DLCC_IMG_EARG;
    DlccJpeg *j = (DlccJpeg *)(void *)ws;
    memset(j, 0, sizeof *j);
    j->d = d, j->n = n;
    uint8_t *mem = ws + DLCC_IMG_STATE;
    int64_t mem_left = ws_size - DLCC_IMG_STATE;
    int64_t pos = 2, scans = 0, frame = 0;
    for (;;) {
        while (pos < n && d[pos] != 0xFF)
            pos++; /* libjpeg skips garbage before a marker with a warning */
        while (pos < n && d[pos] == 0xFF)
            pos++;
        if (pos >= n)
            return DLCC_IMG_EARG;
        int m = d[pos++];
        if (m == 0xD9)
            break;
        if (m == 0x01 || (m >= 0xD0 && m <= 0xD7))
            continue;
        if (pos + 2 > n)
            return DLCC_IMG_EARG;
        int64_t len = dlcc_img_be16(d + pos);
        if (len < 2 || pos + len > n)
            return DLCC_IMG_EARG;
        const uint8_t *s = d + pos + 2;
        int64_t sl = len - 2;
        pos += len;
        if (m == 0xC0 || m == 0xC1 || m == 0xC2) {
            if (frame || sl < 6 || s[0] != 8)
                return DLCC_IMG_EARG;
            j->h = dlcc_img_be16(s + 1), j->w = dlcc_img_be16(s + 3), j->nc = s[5];
            if (j->w <= 0 || j->h <= 0 || (j->nc != 1 && j->nc != 3) || sl < 6 + 3 * j->nc)
                return DLCC_IMG_EARG;
            j->hmax = j->vmax = 1;
            for (int i = 0; i < j->nc; i++) {
                DlccJComp *c = &j->c[i];
                c->id = s[6 + 3 * i], c->h = s[7 + 3 * i] >> 4, c->v = s[7 + 3 * i] & 15, c->tq = s[8 + 3 * i];
                if (c->h < 1 || c->h > 4 || c->v < 1 || c->v > 4 || c->tq > 3)
                    return DLCC_IMG_EARG;
                j->hmax = DLCC_MAX(j->hmax, c->h), j->vmax = DLCC_MAX(j->vmax, c->v);
            }
            if (j->w != o->w || j->h != o->h)
                return DLCC_IMG_ESHAPE;
            j->progressive = m == 0xC2;
            j->mcux = (j->w + 8 * j->hmax - 1) / (8 * j->hmax);
            j->mcuy = (j->h + 8 * j->vmax - 1) / (8 * j->vmax);
            for (int i = 0; i < j->nc; i++) {
                DlccJComp *c = &j->c[i];
                if (j->hmax % c->h || j->vmax % c->v)
                    return DLCC_IMG_EARG;
                c->pw = j->mcux * c->h * 8, c->ph = j->mcuy * c->v * 8;
                c->dw = (j->w * c->h + j->hmax - 1) / j->hmax, c->dh = (j->h * c->v + j->vmax - 1) / j->vmax;
                if (c->pw * c->ph > mem_left)
                    return DLCC_IMG_EARG;
                c->plane = mem;
                memset(mem, 0, (size_t)(c->pw * c->ph));
                mem += c->pw * c->ph, mem_left -= c->pw * c->ph;
                if (j->progressive) {
                    int64_t cb = c->pw * c->ph * (int64_t)sizeof(int16_t);
                    if (cb > mem_left)
                        return DLCC_IMG_EARG;
                    c->coef = (int16_t *)(void *)mem;
                    memset(mem, 0, (size_t)cb);
                    mem += cb, mem_left -= cb;
                }
            }
            if (mem_left < 3 * j->w)
                return DLCC_IMG_EARG;
            frame = 1;
        } else if ((m >= 0xC3 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) || m == 0xCC) {
            return DLCC_IMG_EARG; /* progressive, lossless, arithmetic, hierarchical */
        } else if (m == 0xDB) {
            int64_t p = 0;
            while (p < sl) {
                int pq = s[p] >> 4, tq = s[p] & 15;
                if (tq > 3 || pq > 1 || p + 1 + 64 * (pq + 1) > sl)
                    return DLCC_IMG_EARG;
                for (int k = 0; k < 64; k++)
                    j->q[tq][dlcc_jpeg_natural[k]] =
                        (uint16_t)(pq ? dlcc_img_be16(s + p + 1 + 2 * k) : s[p + 1 + k]);
                j->q_present[tq] = 1;
                p += 1 + 64 * (pq + 1);
            }
        } else if (m == 0xC4) {
            int64_t p = 0;
            while (p < sl) {
                if (p + 17 > sl)
                    return DLCC_IMG_EARG;
                int tc = s[p] >> 4, th = s[p] & 15, total = 0;
                if (tc > 1 || th > 3)
                    return DLCC_IMG_EARG;
                DlccJHuff *t = tc ? &j->ac[th] : &j->dc[th];
                for (int l = 1; l <= 16; l++)
                    total += s[p + l];
                if (total > 256 || p + 17 + total > sl)
                    return DLCC_IMG_EARG;
                memset(t->vals, 0, sizeof t->vals);
                memcpy(t->vals, s + p + 17, (size_t)total);
                int32_t code = 0, k = 0;
                for (int l = 1; l <= 16; l++) {
                    int cnt = s[p + l];
                    t->valptr[l] = k, t->mincode[l] = code;
                    code += cnt, k += cnt;
                    t->maxcode[l] = cnt ? code - 1 : -1;
                    if (code > (1 << l))
                        return DLCC_IMG_EARG;
                    code <<= 1;
                }
                t->maxcode[17] = 0x7fffffff;
                t->present = 1;
                p += 17 + total;
            }
        } else if (m == 0xDD) {
            if (sl < 2)
                return DLCC_IMG_EARG;
            j->restart = (int)dlcc_img_be16(s);
        } else if (m == 0xE0) {
            if (sl >= 5 && !memcmp(s, "JFIF", 5))
                j->jfif = 1;
        } else if (m == 0xEE) {
            if (sl >= 12 && !memcmp(s, "Adobe", 5))
                j->adobe = 1, j->adobe_transform = s[11];
        } else if (m == 0xDA) {
            if (!frame)
                return DLCC_IMG_EARG;
            j->pos = pos;
            if (dlcc_jpeg_scan(j, s, sl) < 0)
                return DLCC_IMG_EARG;
            pos = j->pos;
            scans++;
        }
    }
    if (!frame || !scans)
        return DLCC_IMG_EARG;
    if (j->progressive)
        for (int i = 0; i < j->nc; i++) {
            DlccJComp *c = &j->c[i];
            for (int64_t by = 0; by < c->ph / 8; by++)
                for (int64_t bx = 0; bx < c->pw / 8; bx++)
                    dlcc_jpeg_idct(c->coef + (by * (c->pw / 8) + bx) * 64, j->q[c->tq], c->plane + by * 8 * c->pw + bx * 8,
                                   c->pw);
        }
    /* colour space as jdapimin.c's default_decompress_parms */
    int rgb = 0;
    if (j->nc == 3) {
        if (j->jfif)
            rgb = 0;
        else if (j->adobe)
            rgb = j->adobe_transform == 0;
        else
            rgb = j->c[0].id == 'R' && j->c[1].id == 'G' && j->c[2].id == 'B';
    }
    uint8_t *rows = mem;
    for (int64_t y = 0; y < j->h; y++) {
        for (int i = 0; i < j->nc; i++)
            dlcc_jpeg_uprow(j, &j->c[i], y, rows + i * j->w);
        for (int64_t x = 0; x < j->w; x++) {
            if (j->nc == 1) {
                int v = rows[x];
                dlcc_img_put(o, y, x, v, v, v);
            } else if (rgb) {
                dlcc_img_put(o, y, x, rows[x], rows[j->w + x], rows[2 * j->w + x]);
            } else {
                int yy = rows[x], cb = rows[j->w + x] - 128, cr = rows[2 * j->w + x] - 128;
                int32_t r_cr = (91881 * cr + 32768) >> 16;
                int32_t b_cb = (116130 * cb + 32768) >> 16;
                int32_t g = (-22554 * cb + 32768 + -46802 * cr) >> 16;
                dlcc_img_put(o, y, x, dlcc_jpeg_clamp(yy + r_cr), dlcc_jpeg_clamp(yy + g), dlcc_jpeg_clamp(yy + b_cb));
            }
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- WebP (lossy) */

/* The VP8 key-frame decoder of libwebp 1.2 (RFC 6386): its boolean decoder
 * (zero bytes past the end, "eof" once one is needed), coefficient token
 * trees, intra predictors with libwebp's 127/129 borders, the exact
 * inverse transforms, the normal and simple loop filters (applied in
 * macroblock order once the whole frame is reconstructed: prediction uses
 * unfiltered samples, as libwebp's delayed filtering does), then its
 * "fancy" upsampling of U and V and fixed-point YUV -> RGB.  Scratch:
 * the padded Y, U, V planes and per-macroblock filter data
 * (< 9 (W + 32)(H + 32), the JPEG bound). */

/* libwebp's tables (RFC 6386 13.5, 11.5, 14.1) */
static const uint8_t dlcc_vp8_coeffs0[1056] = {
    128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
    128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 253, 136, 254, 255, 228, 219, 128, 128, 128, 128, 128,
    189, 129, 242, 255, 227, 213, 255, 219, 128, 128, 128, 106, 126, 227, 252, 214, 209, 255, 255, 128, 128, 128,
    1, 98, 248, 255, 236, 226, 255, 255, 128, 128, 128, 181, 133, 238, 254, 221, 234, 255, 154, 128, 128, 128,
    78, 134, 202, 247, 198, 180, 255, 219, 128, 128, 128, 1, 185, 249, 255, 243, 255, 128, 128, 128, 128, 128,
    184, 150, 247, 255, 236, 224, 128, 128, 128, 128, 128, 77, 110, 216, 255, 236, 230, 128, 128, 128, 128, 128,
    1, 101, 251, 255, 241, 255, 128, 128, 128, 128, 128, 170, 139, 241, 252, 236, 209, 255, 255, 128, 128, 128,
    37, 116, 196, 243, 228, 255, 255, 255, 128, 128, 128, 1, 204, 254, 255, 245, 255, 128, 128, 128, 128, 128,
    207, 160, 250, 255, 238, 128, 128, 128, 128, 128, 128, 102, 103, 231, 255, 211, 171, 128, 128, 128, 128, 128,
    1, 152, 252, 255, 240, 255, 128, 128, 128, 128, 128, 177, 135, 243, 255, 234, 225, 128, 128, 128, 128, 128,
    80, 129, 211, 255, 194, 224, 128, 128, 128, 128, 128, 1, 1, 255, 128, 128, 128, 128, 128, 128, 128, 128,
    246, 1, 255, 128, 128, 128, 128, 128, 128, 128, 128, 255, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
    198, 35, 237, 223, 193, 187, 162, 160, 145, 155, 62, 131, 45, 198, 221, 172, 176, 220, 157, 252, 221, 1,
    68, 47, 146, 208, 149, 167, 221, 162, 255, 223, 128, 1, 149, 241, 255, 221, 224, 255, 255, 128, 128, 128,
    184, 141, 234, 253, 222, 220, 255, 199, 128, 128, 128, 81, 99, 181, 242, 176, 190, 249, 202, 255, 255, 128,
    1, 129, 232, 253, 214, 197, 242, 196, 255, 255, 128, 99, 121, 210, 250, 201, 198, 255, 202, 128, 128, 128,
    23, 91, 163, 242, 170, 187, 247, 210, 255, 255, 128, 1, 200, 246, 255, 234, 255, 128, 128, 128, 128, 128,
    109, 178, 241, 255, 231, 245, 255, 255, 128, 128, 128, 44, 130, 201, 253, 205, 192, 255, 255, 128, 128, 128,
    1, 132, 239, 251, 219, 209, 255, 165, 128, 128, 128, 94, 136, 225, 251, 218, 190, 255, 255, 128, 128, 128,
    22, 100, 174, 245, 186, 161, 255, 199, 128, 128, 128, 1, 182, 249, 255, 232, 235, 128, 128, 128, 128, 128,
    124, 143, 241, 255, 227, 234, 128, 128, 128, 128, 128, 35, 77, 181, 251, 193, 211, 255, 205, 128, 128, 128,
    1, 157, 247, 255, 236, 231, 255, 255, 128, 128, 128, 121, 141, 235, 255, 225, 227, 255, 255, 128, 128, 128,
    45, 99, 188, 251, 195, 217, 255, 224, 128, 128, 128, 1, 1, 251, 255, 213, 255, 128, 128, 128, 128, 128,
    203, 1, 248, 255, 255, 128, 128, 128, 128, 128, 128, 137, 1, 177, 255, 224, 255, 128, 128, 128, 128, 128,
    253, 9, 248, 251, 207, 208, 255, 192, 128, 128, 128, 175, 13, 224, 243, 193, 185, 249, 198, 255, 255, 128,
    73, 17, 171, 221, 161, 179, 236, 167, 255, 234, 128, 1, 95, 247, 253, 212, 183, 255, 255, 128, 128, 128,
    239, 90, 244, 250, 211, 209, 255, 255, 128, 128, 128, 155, 77, 195, 248, 188, 195, 255, 255, 128, 128, 128,
    1, 24, 239, 251, 218, 219, 255, 205, 128, 128, 128, 201, 51, 219, 255, 196, 186, 128, 128, 128, 128, 128,
    69, 46, 190, 239, 201, 218, 255, 228, 128, 128, 128, 1, 191, 251, 255, 255, 128, 128, 128, 128, 128, 128,
    223, 165, 249, 255, 213, 255, 128, 128, 128, 128, 128, 141, 124, 248, 255, 255, 128, 128, 128, 128, 128, 128,
    1, 16, 248, 255, 255, 128, 128, 128, 128, 128, 128, 190, 36, 230, 255, 236, 255, 128, 128, 128, 128, 128,
    149, 1, 255, 128, 128, 128, 128, 128, 128, 128, 128, 1, 226, 255, 128, 128, 128, 128, 128, 128, 128, 128,
    247, 192, 255, 128, 128, 128, 128, 128, 128, 128, 128, 240, 128, 255, 128, 128, 128, 128, 128, 128, 128, 128,
    1, 134, 252, 255, 255, 128, 128, 128, 128, 128, 128, 213, 62, 250, 255, 255, 128, 128, 128, 128, 128, 128,
    55, 93, 255, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
    128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
    202, 24, 213, 235, 186, 191, 220, 160, 240, 175, 255, 126, 38, 182, 232, 169, 184, 228, 174, 255, 187, 128,
    61, 46, 138, 219, 151, 178, 240, 170, 255, 216, 128, 1, 112, 230, 250, 199, 191, 247, 159, 255, 255, 128,
    166, 109, 228, 252, 211, 215, 255, 174, 128, 128, 128, 39, 77, 162, 232, 172, 180, 245, 178, 255, 255, 128,
    1, 52, 220, 246, 198, 199, 249, 220, 255, 255, 128, 124, 74, 191, 243, 183, 193, 250, 221, 255, 255, 128,
    24, 71, 130, 219, 154, 170, 243, 182, 255, 255, 128, 1, 182, 225, 249, 219, 240, 255, 224, 128, 128, 128,
    149, 150, 226, 252, 216, 205, 255, 171, 128, 128, 128, 28, 108, 170, 242, 183, 194, 254, 223, 255, 255, 128,
    1, 81, 230, 252, 204, 203, 255, 192, 128, 128, 128, 123, 102, 209, 247, 188, 196, 255, 233, 128, 128, 128,
    20, 95, 153, 243, 164, 173, 255, 203, 128, 128, 128, 1, 222, 248, 255, 216, 213, 128, 128, 128, 128, 128,
    168, 175, 246, 252, 235, 205, 255, 255, 128, 128, 128, 47, 116, 215, 255, 211, 212, 255, 255, 128, 128, 128,
    1, 121, 236, 253, 212, 214, 255, 255, 128, 128, 128, 141, 84, 213, 252, 201, 202, 255, 219, 128, 128, 128,
    42, 80, 160, 240, 162, 185, 255, 205, 128, 128, 128, 1, 1, 255, 128, 128, 128, 128, 128, 128, 128, 128,
    244, 1, 255, 128, 128, 128, 128, 128, 128, 128, 128, 238, 1, 255, 128, 128, 128, 128, 128, 128, 128, 128,
};
static const uint8_t dlcc_vp8_coeffs_upd[1056] = {
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 176, 246, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    223, 241, 252, 255, 255, 255, 255, 255, 255, 255, 255, 249, 253, 253, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 244, 252, 255, 255, 255, 255, 255, 255, 255, 255, 234, 254, 254, 255, 255, 255, 255, 255, 255, 255, 255,
    253, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 246, 254, 255, 255, 255, 255, 255, 255, 255, 255,
    239, 253, 254, 255, 255, 255, 255, 255, 255, 255, 255, 254, 255, 254, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 248, 254, 255, 255, 255, 255, 255, 255, 255, 255, 251, 255, 254, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 253, 254, 255, 255, 255, 255, 255, 255, 255, 255,
    251, 254, 254, 255, 255, 255, 255, 255, 255, 255, 255, 254, 255, 254, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 254, 253, 255, 254, 255, 255, 255, 255, 255, 255, 250, 255, 254, 255, 254, 255, 255, 255, 255, 255, 255,
    254, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    217, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 225, 252, 241, 253, 255, 255, 254, 255, 255, 255, 255,
    234, 250, 241, 250, 253, 255, 253, 254, 255, 255, 255, 255, 254, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    223, 254, 254, 255, 255, 255, 255, 255, 255, 255, 255, 238, 253, 254, 254, 255, 255, 255, 255, 255, 255, 255,
    255, 248, 254, 255, 255, 255, 255, 255, 255, 255, 255, 249, 254, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 253, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    247, 254, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 253, 254, 255, 255, 255, 255, 255, 255, 255, 255, 252, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 254, 254, 255, 255, 255, 255, 255, 255, 255, 255,
    253, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 254, 253, 255, 255, 255, 255, 255, 255, 255, 255, 250, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    254, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    186, 251, 250, 255, 255, 255, 255, 255, 255, 255, 255, 234, 251, 244, 254, 255, 255, 255, 255, 255, 255, 255,
    251, 251, 243, 253, 254, 255, 254, 255, 255, 255, 255, 255, 253, 254, 255, 255, 255, 255, 255, 255, 255, 255,
    236, 253, 254, 255, 255, 255, 255, 255, 255, 255, 255, 251, 253, 253, 254, 254, 255, 255, 255, 255, 255, 255,
    255, 254, 254, 255, 255, 255, 255, 255, 255, 255, 255, 254, 254, 254, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 254, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    254, 254, 255, 255, 255, 255, 255, 255, 255, 255, 255, 254, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 254, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    248, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 250, 254, 252, 254, 255, 255, 255, 255, 255, 255, 255,
    248, 254, 249, 253, 255, 255, 255, 255, 255, 255, 255, 255, 253, 253, 255, 255, 255, 255, 255, 255, 255, 255,
    246, 253, 253, 255, 255, 255, 255, 255, 255, 255, 255, 252, 254, 251, 254, 254, 255, 255, 255, 255, 255, 255,
    255, 254, 252, 255, 255, 255, 255, 255, 255, 255, 255, 248, 254, 253, 255, 255, 255, 255, 255, 255, 255, 255,
    253, 255, 254, 254, 255, 255, 255, 255, 255, 255, 255, 255, 251, 254, 255, 255, 255, 255, 255, 255, 255, 255,
    245, 251, 254, 255, 255, 255, 255, 255, 255, 255, 255, 253, 253, 254, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 251, 253, 255, 255, 255, 255, 255, 255, 255, 255, 252, 253, 254, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 254, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 252, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    249, 255, 254, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 254, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 253, 255, 255, 255, 255, 255, 255, 255, 255, 250, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    254, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
};
static const uint8_t dlcc_vp8_bmodes[900] = {
    231, 120, 48, 89, 115, 113, 120, 152, 112, 152, 179, 64, 126, 170, 118, 46, 70, 95,
    175, 69, 143, 80, 85, 82, 72, 155, 103, 56, 58, 10, 171, 218, 189, 17, 13, 152,
    114, 26, 17, 163, 44, 195, 21, 10, 173, 121, 24, 80, 195, 26, 62, 44, 64, 85,
    144, 71, 10, 38, 171, 213, 144, 34, 26, 170, 46, 55, 19, 136, 160, 33, 206, 71,
    63, 20, 8, 114, 114, 208, 12, 9, 226, 81, 40, 11, 96, 182, 84, 29, 16, 36,
    134, 183, 89, 137, 98, 101, 106, 165, 148, 72, 187, 100, 130, 157, 111, 32, 75, 80,
    66, 102, 167, 99, 74, 62, 40, 234, 128, 41, 53, 9, 178, 241, 141, 26, 8, 107,
    74, 43, 26, 146, 73, 166, 49, 23, 157, 65, 38, 105, 160, 51, 52, 31, 115, 128,
    104, 79, 12, 27, 217, 255, 87, 17, 7, 87, 68, 71, 44, 114, 51, 15, 186, 23,
    47, 41, 14, 110, 182, 183, 21, 17, 194, 66, 45, 25, 102, 197, 189, 23, 18, 22,
    88, 88, 147, 150, 42, 46, 45, 196, 205, 43, 97, 183, 117, 85, 38, 35, 179, 61,
    39, 53, 200, 87, 26, 21, 43, 232, 171, 56, 34, 51, 104, 114, 102, 29, 93, 77,
    39, 28, 85, 171, 58, 165, 90, 98, 64, 34, 22, 116, 206, 23, 34, 43, 166, 73,
    107, 54, 32, 26, 51, 1, 81, 43, 31, 68, 25, 106, 22, 64, 171, 36, 225, 114,
    34, 19, 21, 102, 132, 188, 16, 76, 124, 62, 18, 78, 95, 85, 57, 50, 48, 51,
    193, 101, 35, 159, 215, 111, 89, 46, 111, 60, 148, 31, 172, 219, 228, 21, 18, 111,
    112, 113, 77, 85, 179, 255, 38, 120, 114, 40, 42, 1, 196, 245, 209, 10, 25, 109,
    88, 43, 29, 140, 166, 213, 37, 43, 154, 61, 63, 30, 155, 67, 45, 68, 1, 209,
    100, 80, 8, 43, 154, 1, 51, 26, 71, 142, 78, 78, 16, 255, 128, 34, 197, 171,
    41, 40, 5, 102, 211, 183, 4, 1, 221, 51, 50, 17, 168, 209, 192, 23, 25, 82,
    138, 31, 36, 171, 27, 166, 38, 44, 229, 67, 87, 58, 169, 82, 115, 26, 59, 179,
    63, 59, 90, 180, 59, 166, 93, 73, 154, 40, 40, 21, 116, 143, 209, 34, 39, 175,
    47, 15, 16, 183, 34, 223, 49, 45, 183, 46, 17, 33, 183, 6, 98, 15, 32, 183,
    57, 46, 22, 24, 128, 1, 54, 17, 37, 65, 32, 73, 115, 28, 128, 23, 128, 205,
    40, 3, 9, 115, 51, 192, 18, 6, 223, 87, 37, 9, 115, 59, 77, 64, 21, 47,
    104, 55, 44, 218, 9, 54, 53, 130, 226, 64, 90, 70, 205, 40, 41, 23, 26, 57,
    54, 57, 112, 184, 5, 41, 38, 166, 213, 30, 34, 26, 133, 152, 116, 10, 32, 134,
    39, 19, 53, 221, 26, 114, 32, 73, 255, 31, 9, 65, 234, 2, 15, 1, 118, 73,
    75, 32, 12, 51, 192, 255, 160, 43, 51, 88, 31, 35, 67, 102, 85, 55, 186, 85,
    56, 21, 23, 111, 59, 205, 45, 37, 192, 55, 38, 70, 124, 73, 102, 1, 34, 98,
    125, 98, 42, 88, 104, 85, 117, 175, 82, 95, 84, 53, 89, 128, 100, 113, 101, 45,
    75, 79, 123, 47, 51, 128, 81, 171, 1, 57, 17, 5, 71, 102, 57, 53, 41, 49,
    38, 33, 13, 121, 57, 73, 26, 1, 85, 41, 10, 67, 138, 77, 110, 90, 47, 114,
    115, 21, 2, 10, 102, 255, 166, 23, 6, 101, 29, 16, 10, 85, 128, 101, 196, 26,
    57, 18, 10, 102, 102, 213, 34, 20, 43, 117, 20, 15, 36, 163, 128, 68, 1, 26,
    102, 61, 71, 37, 34, 53, 31, 243, 192, 69, 60, 71, 38, 73, 119, 28, 222, 37,
    68, 45, 128, 34, 1, 47, 11, 245, 171, 62, 17, 19, 70, 146, 85, 55, 62, 70,
    37, 43, 37, 154, 100, 163, 85, 160, 1, 63, 9, 92, 136, 28, 64, 32, 201, 85,
    75, 15, 9, 9, 64, 255, 184, 119, 16, 86, 6, 28, 5, 64, 255, 25, 248, 1,
    56, 8, 17, 132, 137, 255, 55, 116, 128, 58, 15, 20, 82, 135, 57, 26, 121, 40,
    164, 50, 31, 137, 154, 133, 25, 35, 218, 51, 103, 44, 131, 131, 123, 31, 6, 158,
    86, 40, 64, 135, 148, 224, 45, 183, 128, 22, 26, 17, 131, 240, 154, 14, 1, 209,
    45, 16, 21, 91, 64, 222, 7, 1, 197, 56, 21, 39, 155, 60, 138, 23, 102, 213,
    83, 12, 13, 54, 192, 255, 68, 47, 28, 85, 26, 85, 85, 128, 128, 32, 146, 171,
    18, 11, 7, 63, 144, 171, 4, 4, 246, 35, 27, 10, 146, 174, 171, 12, 26, 128,
    190, 80, 35, 99, 180, 80, 126, 54, 45, 85, 126, 47, 87, 176, 51, 41, 20, 32,
    101, 75, 128, 139, 118, 146, 116, 128, 85, 56, 41, 15, 176, 236, 85, 37, 9, 62,
    71, 30, 17, 119, 118, 255, 17, 18, 138, 101, 38, 60, 138, 55, 70, 43, 26, 142,
    146, 36, 19, 30, 171, 255, 97, 27, 20, 138, 45, 61, 62, 219, 1, 81, 188, 64,
    32, 41, 20, 117, 151, 142, 20, 21, 163, 112, 19, 12, 61, 195, 128, 48, 4, 24,
};
static const uint8_t dlcc_vp8_dc[128] = {
    4, 5, 6, 7, 8, 9, 10, 10, 11, 12, 13, 14, 15, 16, 17, 17,
    18, 19, 20, 20, 21, 21, 22, 22, 23, 23, 24, 25, 25, 26, 27, 28,
    29, 30, 31, 32, 33, 34, 35, 36, 37, 37, 38, 39, 40, 41, 42, 43,
    44, 45, 46, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58,
    59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74,
    75, 76, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89,
    91, 93, 95, 96, 98, 100, 101, 102, 104, 106, 108, 110, 112, 114, 116, 118,
    122, 124, 126, 128, 130, 132, 134, 136, 138, 140, 143, 145, 148, 151, 154, 157,
};
static const uint16_t dlcc_vp8_ac[128] = {
    4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
    20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,
    36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51,
    52, 53, 54, 55, 56, 57, 58, 60, 62, 64, 66, 68, 70, 72, 74, 76,
    78, 80, 82, 84, 86, 88, 90, 92, 94, 96, 98, 100, 102, 104, 106, 108,
    110, 112, 114, 116, 119, 122, 125, 128, 131, 134, 137, 140, 143, 146, 149, 152,
    155, 158, 161, 164, 167, 170, 173, 177, 181, 185, 189, 193, 197, 201, 205, 209,
    213, 217, 221, 225, 229, 234, 239, 245, 249, 254, 259, 264, 269, 274, 279, 284,
};

typedef struct DlccVp8Br {
    const uint8_t *p, *end;
    uint64_t value;
    uint32_t range; /* range - 1, as libwebp */
    int bits, eof;
} DlccVp8Br;

DLCC_RT_FN void dlcc_vp8_br_load(DlccVp8Br *br) {
    if (br->p < br->end) {
        br->bits += 8;
        br->value = (uint64_t)(*br->p++) | (br->value << 8);
    } else if (!br->eof) {
        br->value <<= 8;
        br->bits += 8;
        br->eof = 1;
    } else {
        br->bits = 0;
    }
}

DLCC_RT_FN void dlcc_vp8_br_init(DlccVp8Br *br, const uint8_t *p, int64_t n) {
    br->p = p, br->end = p + n;
    br->value = 0, br->range = 254, br->bits = -8, br->eof = 0;
    dlcc_vp8_br_load(br);
}

DLCC_RT_FN int dlcc_vp8_bit(DlccVp8Br *br, int prob) {
    uint32_t range = br->range;
    if (br->bits < 0)
        dlcc_vp8_br_load(br);
    int pos = br->bits;
    uint32_t split = (range * (uint32_t)prob) >> 8;
    uint32_t value = (uint32_t)(br->value >> pos);
    int bit = value > split;
    if (bit) {
        range -= split;
        br->value -= (uint64_t)(split + 1) << pos;
    } else {
        range = split + 1;
    }
    int shift = 0;
    while ((range << shift) < 128)
        shift++;
    range <<= shift;
    br->bits -= shift;
    br->range = range - 1;
    return bit;
}

DLCC_RT_FN int dlcc_vp8_value(DlccVp8Br *br, int nbits) {
    int v = 0;
    while (nbits-- > 0)
        v |= dlcc_vp8_bit(br, 0x80) << nbits;
    return v;
}

DLCC_RT_FN int dlcc_vp8_svalue(DlccVp8Br *br, int nbits) {
    int v = dlcc_vp8_value(br, nbits);
    return dlcc_vp8_value(br, 1) ? -v : v;
}

static const uint8_t dlcc_vp8_zigzag[16] = {0, 1, 4, 8, 5, 2, 3, 6, 9, 12, 13, 10, 7, 11, 14, 15};
static const uint8_t dlcc_vp8_bands[17] = {0, 1, 2, 3, 6, 4, 5, 6, 6, 6, 6, 6, 6, 6, 6, 7, 0};
static const uint8_t dlcc_vp8_cat[4][12] = {{173, 148, 140, 0},
                                            {176, 155, 140, 135, 0},
                                            {180, 157, 141, 134, 130, 0},
                                            {254, 254, 243, 230, 196, 177, 153, 140, 133, 130, 129, 0}};
static const int8_t dlcc_vp8_ymodes4[18] = {-0, 1, -1, 2, -2, 3, 4, 6, -3, 5, -4, -5, -6, 7, -7, 8, -8, -9};

typedef struct DlccVp8 {
    uint8_t proba[4][8][3][11];
    uint8_t segp[3], skip_p;
    int use_skip, update_map, filter_type;
    int dq[4][3][2]; /* segment, y1 / y2 / uv, dc / ac */
    uint8_t flimit[4][2], filevel[4][2], fhev[4][2];
    int mb_w, mb_h;
    DlccVp8Br parts[8];
    int nparts;
} DlccVp8;

/* Coefficients of one 4x4 block (type t, context ctx, from position n):
 * returns the position after the last non-zero one. */
DLCC_RT_FN int dlcc_vp8_coeffs(DlccVp8Br *br, const DlccVp8 *dec, int t, int ctx, const int *dq, int n, int16_t *out) {
    const uint8_t *p = dec->proba[t][dlcc_vp8_bands[n]][ctx];
    for (; n < 16; ++n) {
        if (!dlcc_vp8_bit(br, p[0]))
            return n;
        while (!dlcc_vp8_bit(br, p[1])) {
            ++n;
            if (n == 16)
                return 16;
            p = dec->proba[t][dlcc_vp8_bands[n]][0];
        }
        const uint8_t(*pc)[11] = dec->proba[t][dlcc_vp8_bands[n + 1]];
        int v;
        if (!dlcc_vp8_bit(br, p[2])) {
            v = 1;
            p = pc[1];
        } else {
            if (!dlcc_vp8_bit(br, p[3])) {
                if (!dlcc_vp8_bit(br, p[4]))
                    v = 2;
                else
                    v = 3 + dlcc_vp8_bit(br, p[5]);
            } else if (!dlcc_vp8_bit(br, p[6])) {
                if (!dlcc_vp8_bit(br, p[7])) {
                    v = 5 + dlcc_vp8_bit(br, 159);
                } else {
                    v = 7 + 2 * dlcc_vp8_bit(br, 165);
                    v += dlcc_vp8_bit(br, 145);
                }
            } else {
                int bit1 = dlcc_vp8_bit(br, p[8]);
                int bit0 = dlcc_vp8_bit(br, p[9 + bit1]);
                int cat = 2 * bit1 + bit0;
                v = 0;
                for (const uint8_t *tab = dlcc_vp8_cat[cat]; *tab; ++tab)
                    v += v + dlcc_vp8_bit(br, *tab);
                v += 3 + (8 << cat);
            }
            p = pc[2];
        }
        if (dlcc_vp8_bit(br, 0x80))
            v = -v;
        out[dlcc_vp8_zigzag[n]] = (int16_t)(v * dq[n > 0]);
    }
    return 16;
}

#define DLCC_VP8_BPS 32
DLCC_RT_FN uint8_t dlcc_vp8_clip(int v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); }
#define DLCC_VP8_MUL1(a) ((((a)*20091) >> 16) + (a))
#define DLCC_VP8_MUL2(a) (((a)*35468) >> 16)

DLCC_RT_FN void dlcc_vp8_idct_add(const int16_t *in, uint8_t *dst) {
    int c[16], *tmp = c;
    for (int i = 0; i < 4; ++i, ++in, tmp += 4) {
        int a = in[0] + in[8], b = in[0] - in[8];
        int cc = DLCC_VP8_MUL2(in[4]) - DLCC_VP8_MUL1(in[12]);
        int d = DLCC_VP8_MUL1(in[4]) + DLCC_VP8_MUL2(in[12]);
        tmp[0] = a + d, tmp[1] = b + cc, tmp[2] = b - cc, tmp[3] = a - d;
    }
    tmp = c;
    for (int i = 0; i < 4; ++i, ++tmp, dst += DLCC_VP8_BPS) {
        int dc = tmp[0] + 4;
        int a = dc + tmp[8], b = dc - tmp[8];
        int cc = DLCC_VP8_MUL2(tmp[4]) - DLCC_VP8_MUL1(tmp[12]);
        int d = DLCC_VP8_MUL1(tmp[4]) + DLCC_VP8_MUL2(tmp[12]);
        dst[0] = dlcc_vp8_clip(dst[0] + ((a + d) >> 3));
        dst[1] = dlcc_vp8_clip(dst[1] + ((b + cc) >> 3));
        dst[2] = dlcc_vp8_clip(dst[2] + ((b - cc) >> 3));
        dst[3] = dlcc_vp8_clip(dst[3] + ((a - d) >> 3));
    }
}

DLCC_RT_FN void dlcc_vp8_wht(const int16_t *in, int16_t *out) {
    int tmp[16];
    for (int i = 0; i < 4; ++i) {
        int a0 = in[0 + i] + in[12 + i], a1 = in[4 + i] + in[8 + i];
        int a2 = in[4 + i] - in[8 + i], a3 = in[0 + i] - in[12 + i];
        tmp[0 + i] = a0 + a1, tmp[8 + i] = a0 - a1, tmp[4 + i] = a3 + a2, tmp[12 + i] = a3 - a2;
    }
    for (int i = 0; i < 4; ++i) {
        int dc = tmp[0 + i * 4] + 3;
        int a0 = dc + tmp[3 + i * 4], a1 = tmp[1 + i * 4] + tmp[2 + i * 4];
        int a2 = tmp[1 + i * 4] - tmp[2 + i * 4], a3 = dc - tmp[3 + i * 4];
        out[0] = (int16_t)((a0 + a1) >> 3);
        out[16] = (int16_t)((a3 + a2) >> 3);
        out[32] = (int16_t)((a0 - a1) >> 3);
        out[48] = (int16_t)((a3 - a2) >> 3);
        out += 64;
    }
}

#define DLCC_VP8_AVG3(a, b, c) ((uint8_t)(((a) + 2 * (b) + (c) + 2) >> 2))
#define DLCC_VP8_AVG2(a, b) ((uint8_t)(((a) + (b) + 1) >> 1))
#define DLCC_VP8_D(x, y) dst[(x) + (y)*DLCC_VP8_BPS]

DLCC_RT_FN void dlcc_vp8_tm(uint8_t *dst, int size) {
    const uint8_t *top = dst - DLCC_VP8_BPS;
    for (int y = 0; y < size; ++y, dst += DLCC_VP8_BPS)
        for (int x = 0; x < size; ++x)
            dst[x] = dlcc_vp8_clip(top[x] + dst[-1] - top[-1]);
}

DLCC_RT_FN void dlcc_vp8_fill(uint8_t *dst, int size, int v) {
    for (int y = 0; y < size; ++y)
        memset(dst + y * DLCC_VP8_BPS, v, (size_t)size);
}

/* 16x16 (size 16) or 8x8 (size 8) prediction; mode 0 DC, 1 TM, 2 V, 3 H. */
DLCC_RT_FN void dlcc_vp8_pred_big(uint8_t *dst, int size, int mode, int has_top, int has_left) {
    int sh = size == 16 ? 4 : 3;
    if (mode == 0) {
        int dc = 0;
        if (has_top && has_left) {
            for (int j = 0; j < size; ++j)
                dc += dst[-1 + j * DLCC_VP8_BPS] + dst[j - DLCC_VP8_BPS];
            dc = (dc + size) >> (sh + 1);
        } else if (has_left) {
            for (int j = 0; j < size; ++j)
                dc += dst[-1 + j * DLCC_VP8_BPS];
            dc = (dc + (size >> 1)) >> sh;
        } else if (has_top) {
            for (int j = 0; j < size; ++j)
                dc += dst[j - DLCC_VP8_BPS];
            dc = (dc + (size >> 1)) >> sh;
        } else {
            dc = 0x80;
        }
        dlcc_vp8_fill(dst, size, dc);
    } else if (mode == 1) {
        dlcc_vp8_tm(dst, size);
    } else if (mode == 2) {
        for (int y = 0; y < size; ++y)
            memcpy(dst + y * DLCC_VP8_BPS, dst - DLCC_VP8_BPS, (size_t)size);
    } else {
        for (int y = 0; y < size; ++y)
            memset(dst + y * DLCC_VP8_BPS, dst[y * DLCC_VP8_BPS - 1], (size_t)size);
    }
}

DLCC_RT_FN void dlcc_vp8_pred4(uint8_t *dst, int mode) {
    const uint8_t *top = dst - DLCC_VP8_BPS;
    int tl = top[-1], t0 = top[0], t1 = top[1], t2 = top[2], t3 = top[3], t4 = top[4], t5 = top[5], t6 = top[6], t7 = top[7];
    int l0 = dst[-1], l1 = dst[-1 + DLCC_VP8_BPS], l2 = dst[-1 + 2 * DLCC_VP8_BPS], l3 = dst[-1 + 3 * DLCC_VP8_BPS];
    switch (mode) {
    case 0: {
        int dc = 4;
        for (int i = 0; i < 4; ++i)
            dc += top[i] + dst[-1 + i * DLCC_VP8_BPS];
        dlcc_vp8_fill(dst, 4, dc >> 3);
        break;
    }
    case 1:
        dlcc_vp8_tm(dst, 4);
        break;
    case 2: {
        uint8_t v[4] = {DLCC_VP8_AVG3(tl, t0, t1), DLCC_VP8_AVG3(t0, t1, t2), DLCC_VP8_AVG3(t1, t2, t3), DLCC_VP8_AVG3(t2, t3, t4)};
        for (int i = 0; i < 4; ++i)
            memcpy(dst + i * DLCC_VP8_BPS, v, 4);
        break;
    }
    case 3:
        memset(dst, DLCC_VP8_AVG3(tl, l0, l1), 4);
        memset(dst + DLCC_VP8_BPS, DLCC_VP8_AVG3(l0, l1, l2), 4);
        memset(dst + 2 * DLCC_VP8_BPS, DLCC_VP8_AVG3(l1, l2, l3), 4);
        memset(dst + 3 * DLCC_VP8_BPS, DLCC_VP8_AVG3(l2, l3, l3), 4);
        break;
    case 4: /* RD */
        DLCC_VP8_D(0, 3) = DLCC_VP8_AVG3(l1, l2, l3);
        DLCC_VP8_D(1, 3) = DLCC_VP8_D(0, 2) = DLCC_VP8_AVG3(l0, l1, l2);
        DLCC_VP8_D(2, 3) = DLCC_VP8_D(1, 2) = DLCC_VP8_D(0, 1) = DLCC_VP8_AVG3(tl, l0, l1);
        DLCC_VP8_D(3, 3) = DLCC_VP8_D(2, 2) = DLCC_VP8_D(1, 1) = DLCC_VP8_D(0, 0) = DLCC_VP8_AVG3(t0, tl, l0);
        DLCC_VP8_D(3, 2) = DLCC_VP8_D(2, 1) = DLCC_VP8_D(1, 0) = DLCC_VP8_AVG3(t1, t0, tl);
        DLCC_VP8_D(3, 1) = DLCC_VP8_D(2, 0) = DLCC_VP8_AVG3(t2, t1, t0);
        DLCC_VP8_D(3, 0) = DLCC_VP8_AVG3(t3, t2, t1);
        break;
    case 5: /* VR */
        DLCC_VP8_D(0, 0) = DLCC_VP8_D(1, 2) = DLCC_VP8_AVG2(tl, t0);
        DLCC_VP8_D(1, 0) = DLCC_VP8_D(2, 2) = DLCC_VP8_AVG2(t0, t1);
        DLCC_VP8_D(2, 0) = DLCC_VP8_D(3, 2) = DLCC_VP8_AVG2(t1, t2);
        DLCC_VP8_D(3, 0) = DLCC_VP8_AVG2(t2, t3);
        DLCC_VP8_D(0, 3) = DLCC_VP8_AVG3(l2, l1, l0);
        DLCC_VP8_D(0, 2) = DLCC_VP8_AVG3(l1, l0, tl);
        DLCC_VP8_D(0, 1) = DLCC_VP8_D(1, 3) = DLCC_VP8_AVG3(l0, tl, t0);
        DLCC_VP8_D(1, 1) = DLCC_VP8_D(2, 3) = DLCC_VP8_AVG3(tl, t0, t1);
        DLCC_VP8_D(2, 1) = DLCC_VP8_D(3, 3) = DLCC_VP8_AVG3(t0, t1, t2);
        DLCC_VP8_D(3, 1) = DLCC_VP8_AVG3(t1, t2, t3);
        break;
    case 6: /* LD */
        DLCC_VP8_D(0, 0) = DLCC_VP8_AVG3(t0, t1, t2);
        DLCC_VP8_D(1, 0) = DLCC_VP8_D(0, 1) = DLCC_VP8_AVG3(t1, t2, t3);
        DLCC_VP8_D(2, 0) = DLCC_VP8_D(1, 1) = DLCC_VP8_D(0, 2) = DLCC_VP8_AVG3(t2, t3, t4);
        DLCC_VP8_D(3, 0) = DLCC_VP8_D(2, 1) = DLCC_VP8_D(1, 2) = DLCC_VP8_D(0, 3) = DLCC_VP8_AVG3(t3, t4, t5);
        DLCC_VP8_D(3, 1) = DLCC_VP8_D(2, 2) = DLCC_VP8_D(1, 3) = DLCC_VP8_AVG3(t4, t5, t6);
        DLCC_VP8_D(3, 2) = DLCC_VP8_D(2, 3) = DLCC_VP8_AVG3(t5, t6, t7);
        DLCC_VP8_D(3, 3) = DLCC_VP8_AVG3(t6, t7, t7);
        break;
    case 7: /* VL */
        DLCC_VP8_D(0, 0) = DLCC_VP8_AVG2(t0, t1);
        DLCC_VP8_D(1, 0) = DLCC_VP8_D(0, 2) = DLCC_VP8_AVG2(t1, t2);
        DLCC_VP8_D(2, 0) = DLCC_VP8_D(1, 2) = DLCC_VP8_AVG2(t2, t3);
        DLCC_VP8_D(3, 0) = DLCC_VP8_D(2, 2) = DLCC_VP8_AVG2(t3, t4);
        DLCC_VP8_D(0, 1) = DLCC_VP8_AVG3(t0, t1, t2);
        DLCC_VP8_D(1, 1) = DLCC_VP8_D(0, 3) = DLCC_VP8_AVG3(t1, t2, t3);
        DLCC_VP8_D(2, 1) = DLCC_VP8_D(1, 3) = DLCC_VP8_AVG3(t2, t3, t4);
        DLCC_VP8_D(3, 1) = DLCC_VP8_D(2, 3) = DLCC_VP8_AVG3(t3, t4, t5);
        DLCC_VP8_D(3, 2) = DLCC_VP8_AVG3(t4, t5, t6);
        DLCC_VP8_D(3, 3) = DLCC_VP8_AVG3(t5, t6, t7);
        break;
    case 8: /* HD */
        DLCC_VP8_D(0, 0) = DLCC_VP8_D(2, 1) = DLCC_VP8_AVG2(l0, tl);
        DLCC_VP8_D(0, 1) = DLCC_VP8_D(2, 2) = DLCC_VP8_AVG2(l1, l0);
        DLCC_VP8_D(0, 2) = DLCC_VP8_D(2, 3) = DLCC_VP8_AVG2(l2, l1);
        DLCC_VP8_D(0, 3) = DLCC_VP8_AVG2(l3, l2);
        DLCC_VP8_D(3, 0) = DLCC_VP8_AVG3(t0, t1, t2);
        DLCC_VP8_D(2, 0) = DLCC_VP8_AVG3(tl, t0, t1);
        DLCC_VP8_D(1, 0) = DLCC_VP8_D(3, 1) = DLCC_VP8_AVG3(l0, tl, t0);
        DLCC_VP8_D(1, 1) = DLCC_VP8_D(3, 2) = DLCC_VP8_AVG3(l1, l0, tl);
        DLCC_VP8_D(1, 2) = DLCC_VP8_D(3, 3) = DLCC_VP8_AVG3(l2, l1, l0);
        DLCC_VP8_D(1, 3) = DLCC_VP8_AVG3(l3, l2, l1);
        break;
    default: /* HU */
        DLCC_VP8_D(0, 0) = DLCC_VP8_AVG2(l0, l1);
        DLCC_VP8_D(2, 0) = DLCC_VP8_D(0, 1) = DLCC_VP8_AVG2(l1, l2);
        DLCC_VP8_D(2, 1) = DLCC_VP8_D(0, 2) = DLCC_VP8_AVG2(l2, l3);
        DLCC_VP8_D(1, 0) = DLCC_VP8_AVG3(l0, l1, l2);
        DLCC_VP8_D(3, 0) = DLCC_VP8_D(1, 1) = DLCC_VP8_AVG3(l1, l2, l3);
        DLCC_VP8_D(3, 1) = DLCC_VP8_D(1, 2) = DLCC_VP8_AVG3(l2, l3, l3);
        DLCC_VP8_D(3, 2) = DLCC_VP8_D(2, 2) = DLCC_VP8_D(0, 3) = DLCC_VP8_D(1, 3) = DLCC_VP8_D(2, 3) =
            DLCC_VP8_D(3, 3) = (uint8_t)l3;
        break;
    }
}

/* ---- loop filters */
DLCC_RT_FN int dlcc_vp8_sc(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }
DLCC_RT_FN int dlcc_vp8_abs(int v) { return v < 0 ? -v : v; }

DLCC_RT_FN void dlcc_vp8_f2(uint8_t *p, int s) {
    int p1 = p[-2 * s], p0 = p[-s], q0 = p[0], q1 = p[s];
    int a = 3 * (q0 - p0) + dlcc_vp8_sc(p1 - q1, -128, 127);
    int a1 = dlcc_vp8_sc((a + 4) >> 3, -16, 15), a2 = dlcc_vp8_sc((a + 3) >> 3, -16, 15);
    p[-s] = dlcc_vp8_clip(p0 + a2);
    p[0] = dlcc_vp8_clip(q0 - a1);
}

DLCC_RT_FN void dlcc_vp8_f4(uint8_t *p, int s) {
    int p1 = p[-2 * s], p0 = p[-s], q0 = p[0], q1 = p[s];
    int a = 3 * (q0 - p0);
    int a1 = dlcc_vp8_sc((a + 4) >> 3, -16, 15), a2 = dlcc_vp8_sc((a + 3) >> 3, -16, 15);
    int a3 = (a1 + 1) >> 1;
    p[-2 * s] = dlcc_vp8_clip(p1 + a3);
    p[-s] = dlcc_vp8_clip(p0 + a2);
    p[0] = dlcc_vp8_clip(q0 - a1);
    p[s] = dlcc_vp8_clip(q1 - a3);
}

DLCC_RT_FN void dlcc_vp8_f6(uint8_t *p, int s) {
    int p2 = p[-3 * s], p1 = p[-2 * s], p0 = p[-s], q0 = p[0], q1 = p[s], q2 = p[2 * s];
    int a = dlcc_vp8_sc(3 * (q0 - p0) + dlcc_vp8_sc(p1 - q1, -128, 127), -128, 127);
    int a1 = (27 * a + 63) >> 7, a2 = (18 * a + 63) >> 7, a3 = (9 * a + 63) >> 7;
    p[-3 * s] = dlcc_vp8_clip(p2 + a3);
    p[-2 * s] = dlcc_vp8_clip(p1 + a2);
    p[-s] = dlcc_vp8_clip(p0 + a1);
    p[0] = dlcc_vp8_clip(q0 - a1);
    p[s] = dlcc_vp8_clip(q1 - a2);
    p[2 * s] = dlcc_vp8_clip(q2 - a3);
}

/* The simple filter of one 16-pixel edge. */
DLCC_RT_FN void dlcc_vp8_simple(uint8_t *p, int hs, int vs, int thresh) {
    int t2 = 2 * thresh + 1;
    for (int i = 0; i < 16; ++i, p += vs)
        if (4 * dlcc_vp8_abs(p[-hs] - p[0]) + dlcc_vp8_abs(p[-2 * hs] - p[hs]) <= t2)
            dlcc_vp8_f2(p, hs);
}

/* The normal filter: outer (macroblock edge, 6 taps) or inner (4 taps). */
DLCC_RT_FN void dlcc_vp8_normal(uint8_t *p, int hs, int vs, int size, int thresh, int it, int hev, int outer) {
    int t2 = 2 * thresh + 1;
    for (; size-- > 0; p += vs) {
        int p3 = p[-4 * hs], p2 = p[-3 * hs], p1 = p[-2 * hs], p0 = p[-hs];
        int q0 = p[0], q1 = p[hs], q2 = p[2 * hs], q3 = p[3 * hs];
        if (4 * dlcc_vp8_abs(p0 - q0) + dlcc_vp8_abs(p1 - q1) > t2)
            continue;
        if (dlcc_vp8_abs(p3 - p2) > it || dlcc_vp8_abs(p2 - p1) > it || dlcc_vp8_abs(p1 - p0) > it ||
            dlcc_vp8_abs(q3 - q2) > it || dlcc_vp8_abs(q2 - q1) > it || dlcc_vp8_abs(q1 - q0) > it)
            continue;
        if (dlcc_vp8_abs(p1 - p0) > hev || dlcc_vp8_abs(q1 - q0) > hev)
            dlcc_vp8_f2(p, hs);
        else if (outer)
            dlcc_vp8_f6(p, hs);
        else
            dlcc_vp8_f4(p, hs);
    }
}

/* ---- YUV -> RGB (libwebp's yuv.h) and fancy upsampling */
DLCC_RT_FN int dlcc_vp8_clip8(int v) { return (v & ~16383) == 0 ? v >> 6 : v < 0 ? 0 : 255; }

DLCC_RT_FN void dlcc_vp8_put(const DlccImgOut *o, int64_t y, int64_t x, int yy, int u, int v) {
    int r = dlcc_vp8_clip8(((yy * 19077) >> 8) + ((v * 26149) >> 8) - 14234);
    int g = dlcc_vp8_clip8(((yy * 19077) >> 8) - ((u * 6419) >> 8) - ((v * 13320) >> 8) + 8708);
    int b = dlcc_vp8_clip8(((yy * 19077) >> 8) + ((u * 33050) >> 8) - 17685);
    dlcc_img_put(o, y, x, r, g, b);
}

/* One channel of libwebp's UPSAMPLE_FUNC: the chroma of output pixel x of
 * a row from the chroma rows near (n) and far (f). */
DLCC_RT_FN void dlcc_vp8_upsample_row(const DlccImgOut *o, int64_t y, const uint8_t *yrow, const uint8_t *nu,
                                      const uint8_t *nv, const uint8_t *fu, const uint8_t *fv, int64_t len) {
    /* libwebp's bottom-line formulas; the top line's are the same with the
     * rows swapped */
    int tlu = fu[0], tlv = fv[0], lu = nu[0], lv = nv[0];
    dlcc_vp8_put(o, y, 0, yrow[0], (3 * lu + tlu + 2) >> 2, (3 * lv + tlv + 2) >> 2);
    int64_t last = (len - 1) >> 1;
    for (int64_t x = 1; x <= last; ++x) {
        int tu = fu[x], tv = fv[x], u = nu[x], v = nv[x];
        int au = tlu + tu + lu + u + 8, av = tlv + tv + lv + v + 8;
        int d12u = (au + 2 * (tu + lu)) >> 3, d12v = (av + 2 * (tv + lv)) >> 3;
        int d03u = (au + 2 * (tlu + u)) >> 3, d03v = (av + 2 * (tlv + v)) >> 3;
        dlcc_vp8_put(o, y, 2 * x - 1, yrow[2 * x - 1], (d03u + lu) >> 1, (d03v + lv) >> 1);
        dlcc_vp8_put(o, y, 2 * x, yrow[2 * x], (d12u + u) >> 1, (d12v + v) >> 1);
        tlu = tu, tlv = tv, lu = u, lv = v;
    }
    if (!(len & 1))
        dlcc_vp8_put(o, y, len - 1, yrow[len - 1], (3 * lu + tlu + 2) >> 2, (3 * lv + tlv + 2) >> 2);
}

DLCC_RT_FN int dlcc_img_webp_vp8(const uint8_t *d, int64_t n, const DlccImgOut *o, uint8_t *ws, int64_t ws_size,
                                 int64_t cw, int64_t ch) {
    if (n < 10)
        return DLCC_IMG_EARG;
    uint32_t bits = (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16;
    int64_t plen = bits >> 5;
    if ((bits & 1) || ((bits >> 1) & 7) > 3 || !((bits >> 4) & 1) || plen >= n)
        return DLCC_IMG_EARG;
    if (d[3] != 0x9d || d[4] != 0x01 || d[5] != 0x2a)
        return DLCC_IMG_EARG;
    int64_t w = dlcc_img_le16(d + 6) & 0x3fff, h = dlcc_img_le16(d + 8) & 0x3fff;
    if (w == 0 || h == 0 || (cw > 0 && (cw != w || ch != h)))
        return DLCC_IMG_EARG;
    if (w != o->w || h != o->h)
        return DLCC_IMG_ESHAPE;
    d += 10, n -= 10;
    if (plen > n)
        return DLCC_IMG_EARG;
    if (ws_size < (int64_t)sizeof(DlccVp8) + 64)
        return DLCC_IMG_EARG;
    DlccVp8 *dec = (DlccVp8 *)(void *)ws;
    memset(dec, 0, sizeof *dec);
    int mb_w = (int)((w + 15) >> 4), mb_h = (int)((h + 15) >> 4);
    dec->mb_w = mb_w, dec->mb_h = mb_h;
    DlccVp8Br br;
    dlcc_vp8_br_init(&br, d, plen);
    const uint8_t *buf = d + plen;
    int64_t left = n - plen;
    dlcc_vp8_value(&br, 1); /* colour space */
    dlcc_vp8_value(&br, 1); /* clamping type */
    /* segment header */
    int use_segment = dlcc_vp8_value(&br, 1), absolute_delta = 1;
    int quant[4] = {0, 0, 0, 0}, fstrength[4] = {0, 0, 0, 0};
    dec->segp[0] = dec->segp[1] = dec->segp[2] = 255;
    if (use_segment) {
        dec->update_map = dlcc_vp8_value(&br, 1);
        if (dlcc_vp8_value(&br, 1)) {
            absolute_delta = dlcc_vp8_value(&br, 1);
            for (int s = 0; s < 4; ++s)
                quant[s] = dlcc_vp8_value(&br, 1) ? dlcc_vp8_svalue(&br, 7) : 0;
            for (int s = 0; s < 4; ++s)
                fstrength[s] = dlcc_vp8_value(&br, 1) ? dlcc_vp8_svalue(&br, 6) : 0;
        }
        if (dec->update_map)
            for (int s = 0; s < 3; ++s)
                dec->segp[s] = (uint8_t)(dlcc_vp8_value(&br, 1) ? dlcc_vp8_value(&br, 8) : 255);
    }
    if (br.eof)
        return DLCC_IMG_EARG;
    /* filter header */
    int simple = dlcc_vp8_value(&br, 1), level = dlcc_vp8_value(&br, 6), sharp = dlcc_vp8_value(&br, 3);
    int use_lf_delta = dlcc_vp8_value(&br, 1), ref_delta0 = 0, mode_delta0 = 0;
    if (use_lf_delta && dlcc_vp8_value(&br, 1)) {
        for (int i = 0; i < 4; ++i)
            if (dlcc_vp8_value(&br, 1)) {
                int v = dlcc_vp8_svalue(&br, 6);
                if (i == 0)
                    ref_delta0 = v;
            }
        for (int i = 0; i < 4; ++i)
            if (dlcc_vp8_value(&br, 1)) {
                int v = dlcc_vp8_svalue(&br, 6);
                if (i == 0)
                    mode_delta0 = v;
            }
    }
    dec->filter_type = level == 0 ? 0 : simple ? 1 : 2;
    if (br.eof)
        return DLCC_IMG_EARG;
    /* partitions */
    int last_part = (1 << dlcc_vp8_value(&br, 2)) - 1;
    dec->nparts = last_part + 1;
    if (left < 3 * (int64_t)last_part)
        return DLCC_IMG_EARG;
    const uint8_t *sz = buf, *part = buf + 3 * last_part;
    int64_t size_left = left - 3 * last_part;
    for (int p = 0; p < last_part; ++p) {
        int64_t psize = (int64_t)sz[0] | (int64_t)sz[1] << 8 | (int64_t)sz[2] << 16;
        if (psize > size_left)
            psize = size_left;
        dlcc_vp8_br_init(&dec->parts[p], part, psize);
        part += psize, size_left -= psize, sz += 3;
    }
    dlcc_vp8_br_init(&dec->parts[last_part], part, size_left);
    if (size_left <= 0)
        return DLCC_IMG_EARG;
    /* quantizers */
    {
        int q0 = dlcc_vp8_value(&br, 7);
        int dy1dc = dlcc_vp8_value(&br, 1) ? dlcc_vp8_svalue(&br, 4) : 0;
        int dy2dc = dlcc_vp8_value(&br, 1) ? dlcc_vp8_svalue(&br, 4) : 0;
        int dy2ac = dlcc_vp8_value(&br, 1) ? dlcc_vp8_svalue(&br, 4) : 0;
        int duvdc = dlcc_vp8_value(&br, 1) ? dlcc_vp8_svalue(&br, 4) : 0;
        int duvac = dlcc_vp8_value(&br, 1) ? dlcc_vp8_svalue(&br, 4) : 0;
        for (int s = 0; s < 4; ++s) {
            int q;
            if (use_segment) {
                q = quant[s];
                if (!absolute_delta)
                    q += q0;
            } else {
                if (s > 0) {
                    memcpy(dec->dq[s], dec->dq[0], sizeof dec->dq[0]);
                    continue;
                }
                q = q0;
            }
            dec->dq[s][0][0] = dlcc_vp8_dc[dlcc_vp8_sc(q + dy1dc, 0, 127)];
            dec->dq[s][0][1] = dlcc_vp8_ac[dlcc_vp8_sc(q, 0, 127)];
            dec->dq[s][1][0] = dlcc_vp8_dc[dlcc_vp8_sc(q + dy2dc, 0, 127)] * 2;
            dec->dq[s][1][1] = (dlcc_vp8_ac[dlcc_vp8_sc(q + dy2ac, 0, 127)] * 101581) >> 16;
            if (dec->dq[s][1][1] < 8)
                dec->dq[s][1][1] = 8;
            dec->dq[s][2][0] = dlcc_vp8_dc[dlcc_vp8_sc(q + duvdc, 0, 117)];
            dec->dq[s][2][1] = dlcc_vp8_ac[dlcc_vp8_sc(q + duvac, 0, 127)];
        }
    }
    dlcc_vp8_value(&br, 1); /* update_proba: ignored */
    for (int t = 0; t < 4; ++t)
        for (int b = 0; b < 8; ++b)
            for (int c = 0; c < 3; ++c)
                for (int p = 0; p < 11; ++p) {
                    int k = ((t * 8 + b) * 3 + c) * 11 + p;
                    dec->proba[t][b][c][p] = (uint8_t)(dlcc_vp8_bit(&br, dlcc_vp8_coeffs_upd[k]) ? dlcc_vp8_value(&br, 8)
                                                                                                  : dlcc_vp8_coeffs0[k]);
                }
    dec->use_skip = dlcc_vp8_value(&br, 1);
    if (dec->use_skip)
        dec->skip_p = (uint8_t)dlcc_vp8_value(&br, 8);
    /* filter strengths per segment and i4x4 */
    if (dec->filter_type > 0)
        for (int s = 0; s < 4; ++s) {
            int base = level;
            if (use_segment) {
                base = fstrength[s];
                if (!absolute_delta)
                    base += level;
            }
            for (int i4 = 0; i4 <= 1; ++i4) {
                int lv = base;
                if (use_lf_delta) {
                    lv += ref_delta0;
                    if (i4)
                        lv += mode_delta0;
                }
                lv = lv < 0 ? 0 : lv > 63 ? 63 : lv;
                if (lv > 0) {
                    int il = lv;
                    if (sharp > 0) {
                        il >>= sharp > 4 ? 2 : 1;
                        if (il > 9 - sharp)
                            il = 9 - sharp;
                    }
                    if (il < 1)
                        il = 1;
                    dec->filevel[s][i4] = (uint8_t)il;
                    dec->flimit[s][i4] = (uint8_t)(2 * lv + il);
                    dec->fhev[s][i4] = (uint8_t)(lv >= 40 ? 2 : lv >= 15 ? 1 : 0);
                }
            }
        }
    /* scratch layout */
    int64_t yst = 16 * (int64_t)mb_w, uvst = 8 * (int64_t)mb_w;
    int64_t need = ((int64_t)sizeof(DlccVp8) + 63) / 64 * 64;
    uint8_t *Y = ws + need;
    need += yst * 16 * mb_h;
    uint8_t *U = ws + need;
    need += uvst * 8 * mb_h;
    uint8_t *V = ws + need;
    need += uvst * 8 * mb_h;
    uint8_t *finfo = ws + need; /* per macroblock: segment, i4x4, inner */
    need += 3 * (int64_t)mb_w * mb_h;
    uint8_t *intra_t = ws + need;
    need += 4 * (int64_t)mb_w;
    uint8_t *nz_t = ws + need; /* nz, nz_dc per column */
    need += 2 * (int64_t)mb_w;
    uint8_t *yuvb = ws + need; /* libwebp's yuv_b_ work area, BPS 32 */
    need += DLCC_VP8_BPS * 17 + DLCC_VP8_BPS * 9 * 2 + 64;
    int16_t *coeffs = (int16_t *)(void *)(ws + (need + 1) / 2 * 2);
    need = (need + 1) / 2 * 2 + 384 * 2;
    if (need > ws_size)
        return DLCC_IMG_EARG;
    memset(intra_t, 0, (size_t)(4 * mb_w));
    memset(nz_t, 0, (size_t)(2 * mb_w));
    uint8_t *ydst = yuvb + DLCC_VP8_BPS + 8;
    uint8_t *udst = yuvb + DLCC_VP8_BPS * 18 + 8;
    uint8_t *vdst = udst + DLCC_VP8_BPS * 9;
    for (int mb_y = 0; mb_y < mb_h; ++mb_y) {
        DlccVp8Br *tbr = &dec->parts[mb_y & last_part];
        uint8_t intra_l[4] = {0, 0, 0, 0}, nz_l = 0, nz_dc_l = 0;
        for (int j = 0; j < 16; ++j)
            ydst[j * DLCC_VP8_BPS - 1] = 129;
        for (int j = 0; j < 8; ++j)
            udst[j * DLCC_VP8_BPS - 1] = vdst[j * DLCC_VP8_BPS - 1] = 129;
        if (mb_y > 0) {
            ydst[-1 - DLCC_VP8_BPS] = udst[-1 - DLCC_VP8_BPS] = vdst[-1 - DLCC_VP8_BPS] = 129;
        } else {
            memset(ydst - DLCC_VP8_BPS - 1, 127, 16 + 4 + 1);
            memset(udst - DLCC_VP8_BPS - 1, 127, 8 + 1);
            memset(vdst - DLCC_VP8_BPS - 1, 127, 8 + 1);
        }
        for (int mb_x = 0; mb_x < mb_w; ++mb_x) {
            /* modes (first partition) */
            int segment = 0, skip = 0, is_i4 = 0, uvmode;
            uint8_t imodes[16];
            uint8_t *top = intra_t + 4 * mb_x;
            if (dec->update_map)
                segment = !dlcc_vp8_bit(&br, dec->segp[0]) ? dlcc_vp8_bit(&br, dec->segp[1])
                                                           : dlcc_vp8_bit(&br, dec->segp[2]) + 2;
            if (dec->use_skip)
                skip = dlcc_vp8_bit(&br, dec->skip_p);
            is_i4 = !dlcc_vp8_bit(&br, 145);
            if (!is_i4) {
                int ym = dlcc_vp8_bit(&br, 156) ? (dlcc_vp8_bit(&br, 128) ? 1 : 3) : (dlcc_vp8_bit(&br, 163) ? 2 : 0);
                imodes[0] = (uint8_t)ym;
                memset(top, ym, 4);
                memset(intra_l, ym, 4);
            } else {
                for (int y = 0; y < 4; ++y) {
                    int ym = intra_l[y];
                    for (int x = 0; x < 4; ++x) {
                        const uint8_t *prob = dlcc_vp8_bmodes + (top[x] * 10 + ym) * 9;
                        int i = dlcc_vp8_ymodes4[dlcc_vp8_bit(&br, prob[0])];
                        while (i > 0)
                            i = dlcc_vp8_ymodes4[2 * i + dlcc_vp8_bit(&br, prob[i])];
                        ym = -i;
                        top[x] = (uint8_t)ym;
                    }
                    memcpy(imodes + 4 * y, top, 4);
                    intra_l[y] = (uint8_t)ym;
                }
            }
            uvmode = !dlcc_vp8_bit(&br, 142) ? 0 : !dlcc_vp8_bit(&br, 114) ? 2 : dlcc_vp8_bit(&br, 183) ? 1 : 3;
            if (br.eof)
                return DLCC_IMG_EARG;
            /* residuals (token partition) */
            memset(coeffs, 0, 384 * sizeof *coeffs);
            uint8_t *nzt = nz_t + 2 * mb_x;
            int(*q)[2] = dec->dq[segment];
            if (!skip) {
                int16_t *dst = coeffs;
                int first, ac_t;
                uint32_t nonzero = 0;
                if (!is_i4) {
                    int16_t dc[16];
                    memset(dc, 0, sizeof dc);
                    int nz = dlcc_vp8_coeffs(tbr, dec, 1, nzt[1] + nz_dc_l, q[1], 0, dc);
                    nzt[1] = nz_dc_l = (uint8_t)(nz > 0);
                    dlcc_vp8_wht(dc, dst);
                    first = 1, ac_t = 0;
                } else {
                    first = 0, ac_t = 3;
                }
                uint32_t tnz = nzt[0] & 0x0f, lnz = nz_l & 0x0f;
                for (int y = 0; y < 4; ++y) {
                    int l = lnz & 1;
                    for (int x = 0; x < 4; ++x) {
                        int ctx = l + (int)(tnz & 1);
                        int nz = dlcc_vp8_coeffs(tbr, dec, ac_t, ctx, q[0], first, dst);
                        l = nz > first;
                        tnz = (tnz >> 1) | ((uint32_t)l << 7);
                        nonzero |= (uint32_t)(nz > 1 || dst[0] != 0);
                        dst += 16;
                    }
                    tnz >>= 4;
                    lnz = (lnz >> 1) | ((uint32_t)l << 7);
                }
                uint32_t out_t = tnz, out_l = lnz >> 4;
                for (int c = 0; c < 4; c += 2) {
                    tnz = (uint32_t)nzt[0] >> (4 + c);
                    lnz = (uint32_t)nz_l >> (4 + c);
                    for (int y = 0; y < 2; ++y) {
                        int l = lnz & 1;
                        for (int x = 0; x < 2; ++x) {
                            int ctx = l + (int)(tnz & 1);
                            int nz = dlcc_vp8_coeffs(tbr, dec, 2, ctx, q[2], 0, dst);
                            l = nz > 0;
                            tnz = (tnz >> 1) | ((uint32_t)l << 3);
                            nonzero |= (uint32_t)(nz > 1 || dst[0] != 0);
                            dst += 16;
                        }
                        tnz >>= 2;
                        lnz = (lnz >> 1) | ((uint32_t)l << 5);
                    }
                    out_t |= (tnz << 4) << c;
                    out_l |= (lnz & 0xf0) << c;
                }
                nzt[0] = (uint8_t)out_t;
                nz_l = (uint8_t)out_l;
                skip = !nonzero;
            } else {
                nzt[0] = nz_l = 0;
                if (!is_i4)
                    nzt[1] = nz_dc_l = 0;
            }
            if (tbr->eof)
                return DLCC_IMG_EARG;
            finfo[3 * ((int64_t)mb_y * mb_w + mb_x)] = (uint8_t)segment;
            finfo[3 * ((int64_t)mb_y * mb_w + mb_x) + 1] = (uint8_t)is_i4;
            finfo[3 * ((int64_t)mb_y * mb_w + mb_x) + 2] = (uint8_t)(is_i4 | !skip);
            /* reconstruction in the work area */
            if (mb_x > 0) {
                for (int j = -1; j < 16; ++j)
                    memcpy(ydst + j * DLCC_VP8_BPS - 4, ydst + j * DLCC_VP8_BPS + 12, 4);
                for (int j = -1; j < 8; ++j) {
                    memcpy(udst + j * DLCC_VP8_BPS - 4, udst + j * DLCC_VP8_BPS + 4, 4);
                    memcpy(vdst + j * DLCC_VP8_BPS - 4, vdst + j * DLCC_VP8_BPS + 4, 4);
                }
            }
            uint8_t *yrow = Y + (int64_t)16 * mb_y * yst + 16 * mb_x;
            uint8_t *urow = U + (int64_t)8 * mb_y * uvst + 8 * mb_x;
            uint8_t *vrow = V + (int64_t)8 * mb_y * uvst + 8 * mb_x;
            if (mb_y > 0) {
                memcpy(ydst - DLCC_VP8_BPS, yrow - yst, 16);
                memcpy(udst - DLCC_VP8_BPS, urow - uvst, 8);
                memcpy(vdst - DLCC_VP8_BPS, vrow - uvst, 8);
            }
            if (is_i4) {
                uint8_t *tr = ydst - DLCC_VP8_BPS + 16;
                if (mb_y > 0) {
                    if (mb_x >= mb_w - 1)
                        memset(tr, yrow[15 - yst], 4);
                    else
                        memcpy(tr, yrow - yst + 16, 4);
                }
                for (int k = 1; k <= 3; ++k)
                    memcpy(tr + 4 * k * DLCC_VP8_BPS, tr, 4);
                for (int k = 0; k < 16; ++k) {
                    uint8_t *bd = ydst + (k & 3) * 4 + (k >> 2) * 4 * DLCC_VP8_BPS;
                    dlcc_vp8_pred4(bd, imodes[k]);
                    dlcc_vp8_idct_add(coeffs + 16 * k, bd);
                }
            } else {
                dlcc_vp8_pred_big(ydst, 16, imodes[0], mb_y > 0, mb_x > 0);
                for (int k = 0; k < 16; ++k)
                    dlcc_vp8_idct_add(coeffs + 16 * k, ydst + (k & 3) * 4 + (k >> 2) * 4 * DLCC_VP8_BPS);
            }
            dlcc_vp8_pred_big(udst, 8, uvmode, mb_y > 0, mb_x > 0);
            dlcc_vp8_pred_big(vdst, 8, uvmode, mb_y > 0, mb_x > 0);
            for (int k = 0; k < 4; ++k) {
                dlcc_vp8_idct_add(coeffs + 256 + 16 * k, udst + (k & 1) * 4 + (k >> 1) * 4 * DLCC_VP8_BPS);
                dlcc_vp8_idct_add(coeffs + 320 + 16 * k, vdst + (k & 1) * 4 + (k >> 1) * 4 * DLCC_VP8_BPS);
            }
            for (int j = 0; j < 16; ++j)
                memcpy(yrow + j * yst, ydst + j * DLCC_VP8_BPS, 16);
            for (int j = 0; j < 8; ++j) {
                memcpy(urow + j * uvst, udst + j * DLCC_VP8_BPS, 8);
                memcpy(vrow + j * uvst, vdst + j * DLCC_VP8_BPS, 8);
            }
        }
    }
    /* loop filter, macroblock order */
    if (dec->filter_type > 0)
        for (int mb_y = 0; mb_y < mb_h; ++mb_y)
            for (int mb_x = 0; mb_x < mb_w; ++mb_x) {
                const uint8_t *fi = finfo + 3 * ((int64_t)mb_y * mb_w + mb_x);
                int limit = dec->flimit[fi[0]][fi[1]], il = dec->filevel[fi[0]][fi[1]];
                int hev = dec->fhev[fi[0]][fi[1]], inner = fi[2];
                if (limit == 0)
                    continue;
                uint8_t *yp = Y + (int64_t)16 * mb_y * yst + 16 * mb_x;
                int ys = (int)yst, uvs = (int)uvst;
                if (dec->filter_type == 1) {
                    if (mb_x > 0)
                        dlcc_vp8_simple(yp, 1, ys, limit + 4);
                    if (inner)
                        for (int k = 1; k <= 3; ++k)
                            dlcc_vp8_simple(yp + 4 * k, 1, ys, limit);
                    if (mb_y > 0)
                        dlcc_vp8_simple(yp, ys, 1, limit + 4);
                    if (inner)
                        for (int k = 1; k <= 3; ++k)
                            dlcc_vp8_simple(yp + 4 * k * ys, ys, 1, limit);
                } else {
                    uint8_t *up = U + (int64_t)8 * mb_y * uvst + 8 * mb_x;
                    uint8_t *vp = V + (int64_t)8 * mb_y * uvst + 8 * mb_x;
                    if (mb_x > 0) {
                        dlcc_vp8_normal(yp, 1, ys, 16, limit + 4, il, hev, 1);
                        dlcc_vp8_normal(up, 1, uvs, 8, limit + 4, il, hev, 1);
                        dlcc_vp8_normal(vp, 1, uvs, 8, limit + 4, il, hev, 1);
                    }
                    if (inner) {
                        for (int k = 1; k <= 3; ++k)
                            dlcc_vp8_normal(yp + 4 * k, 1, ys, 16, limit, il, hev, 0);
                        dlcc_vp8_normal(up + 4, 1, uvs, 8, limit, il, hev, 0);
                        dlcc_vp8_normal(vp + 4, 1, uvs, 8, limit, il, hev, 0);
                    }
                    if (mb_y > 0) {
                        dlcc_vp8_normal(yp, ys, 1, 16, limit + 4, il, hev, 1);
                        dlcc_vp8_normal(up, uvs, 1, 8, limit + 4, il, hev, 1);
                        dlcc_vp8_normal(vp, uvs, 1, 8, limit + 4, il, hev, 1);
                    }
                    if (inner) {
                        for (int k = 1; k <= 3; ++k)
                            dlcc_vp8_normal(yp + 4 * k * ys, ys, 1, 16, limit, il, hev, 0);
                        dlcc_vp8_normal(up + 4 * uvs, uvs, 1, 8, limit, il, hev, 0);
                        dlcc_vp8_normal(vp + 4 * uvs, uvs, 1, 8, limit, il, hev, 0);
                    }
                }
            }
    /* fancy upsampling: row 0 from chroma row 0, then pairs */
    dlcc_vp8_upsample_row(o, 0, Y, U, V, U, V, w);
    for (int64_t y = 1; y < h; ++y) {
        int64_t near = y >> 1, far = (y & 1) ? near + 1 : near - 1;
        if (far > (h - 1) >> 1)
            far = near; /* the last row of an even height */
        dlcc_vp8_upsample_row(o, y, Y + y * yst, U + near * uvst, V + near * uvst, U + far * uvst,
                              V + far * uvst, w);
    }
    return 0;
}

/* ---------------------------------------------------------------- WebP (lossless) */

/* VP8L (the WebP lossless bitstream, as libwebp 1.2 decodes it):
 * LSB-first bits; canonical prefix codes (decoded bit by bit; incomplete
 * or over-subscribed codes are errors, a one-symbol code takes no bits),
 * meta prefix codes, colour cache, LZ77 with the 120 "plane" distance
 * codes; then the inverse transforms in reverse order (colour indexing,
 * cross colour, predictor with its 14 modes, add green).  The decoder
 * state and colour cache live in the first DLCC_IMG_STATE bytes of ws;
 * two W x H ARGB images, the transform images and the prefix codes after
 * them (a code table that does not fit is an error). */

/* libwebp's kCodeToPlane: distance codes 1..120 as (dy << 4) | (8 - dx) */
static const uint8_t dlcc_vp8l_plane[120] = {
    0x18, 0x07, 0x17, 0x19, 0x28, 0x06, 0x27, 0x29, 0x16, 0x1a, 0x26, 0x2a, 0x38, 0x05, 0x37, 0x39, 0x15, 0x1b, 0x36, 0x3a,
    0x25, 0x2b, 0x48, 0x04, 0x47, 0x49, 0x14, 0x1c, 0x35, 0x3b, 0x46, 0x4a, 0x24, 0x2c, 0x58, 0x45, 0x4b, 0x34, 0x3c, 0x03,
    0x57, 0x59, 0x13, 0x1d, 0x56, 0x5a, 0x23, 0x2d, 0x44, 0x4c, 0x55, 0x5b, 0x33, 0x3d, 0x68, 0x02, 0x67, 0x69, 0x12, 0x1e,
    0x66, 0x6a, 0x22, 0x2e, 0x54, 0x5c, 0x43, 0x4d, 0x65, 0x6b, 0x32, 0x3e, 0x78, 0x01, 0x77, 0x79, 0x53, 0x5d, 0x11, 0x1f,
    0x64, 0x6c, 0x42, 0x4e, 0x76, 0x7a, 0x21, 0x2f, 0x75, 0x7b, 0x31, 0x3f, 0x63, 0x6d, 0x52, 0x5e, 0x00, 0x74, 0x7c, 0x41,
    0x4f, 0x10, 0x20, 0x62, 0x6e, 0x30, 0x73, 0x7d, 0x51, 0x5f, 0x40, 0x72, 0x7e, 0x61, 0x6f, 0x50, 0x71, 0x7f, 0x60, 0x70,
};

typedef struct DlccVp8lBr {
    const uint8_t *d;
    int64_t n, pos; /* pos in bits */
    int eos;
} DlccVp8lBr;

DLCC_RT_FN uint32_t dlcc_vp8l_bits(DlccVp8lBr *br, int nb) {
    uint32_t v = 0;
    for (int i = 0; i < nb; ++i, ++br->pos) {
        if ((br->pos >> 3) >= br->n) {
            br->eos = 1;
            continue;
        }
        v |= (uint32_t)((br->d[br->pos >> 3] >> (br->pos & 7)) & 1) << i;
    }
    return v;
}

typedef struct DlccVp8l {
    DlccVp8lBr br;
    uint8_t *pool; /* bump allocator over ws */
    int64_t used, size;
    uint32_t cache[1 << 11];
    uint8_t lens[256 + 24 + (1 << 11)];
    int transforms_seen;
    int nt;
    struct {
        int type, bits, xsize;
        uint32_t *data;
    } tr[4];
} DlccVp8l;

DLCC_RT_FN void *dlcc_vp8l_alloc(DlccVp8l *v, int64_t bytes) {
    int64_t at = (v->used + 7) / 8 * 8;
    if (bytes < 0 || at > v->size || bytes > v->size - at)
        return NULL;
    v->used = at + bytes;
    return v->pool + at;
}

/* A code: uint16 [0] symbol count with a length, [1..15] counts per length,
 * then the symbols ordered by (length, value). */
DLCC_RT_FN uint16_t *dlcc_vp8l_build(DlccVp8l *v, const uint8_t *lens, int nsym) {
    int count[16] = {0}, nz = 0;
    for (int s = 0; s < nsym; ++s)
        count[lens[s]]++;
    nz = nsym - count[0];
    if (nz == 0)
        return NULL;
    if (nz > 1) {
        int left = 1;
        for (int l = 1; l < 16; ++l) {
            left <<= 1;
            left -= count[l];
            if (left < 0)
                return NULL;
        }
        if (left != 0)
            return NULL;
    }
    uint16_t *c = (uint16_t *)dlcc_vp8l_alloc(v, 2 * (16 + (int64_t)nz));
    if (!c)
        return NULL;
    c[0] = (uint16_t)nz;
    int off[16];
    off[1] = 0;
    for (int l = 1; l < 16; ++l) {
        c[l] = (uint16_t)count[l];
        if (l < 15)
            off[l + 1] = off[l] + count[l];
    }
    for (int s = 0; s < nsym; ++s)
        if (lens[s])
            c[16 + off[lens[s]]++] = (uint16_t)s;
    return c;
}

DLCC_RT_FN int dlcc_vp8l_sym(DlccVp8lBr *br, const uint16_t *c) {
    if (c[0] == 1)
        return c[16];
    int code = 0, first = 0, index = 0;
    for (int l = 1; l < 16; ++l) {
        code |= (int)dlcc_vp8l_bits(br, 1);
        int cnt = c[l];
        if (code - first < cnt)
            return c[16 + index + code - first];
        index += cnt, first += cnt;
        first <<= 1, code <<= 1;
    }
    return 0; /* not reached for a complete code */
}

DLCC_RT_FN uint16_t *dlcc_vp8l_read_code(DlccVp8l *v, int nsym) {
    static const uint8_t order[19] = {17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    DlccVp8lBr *br = &v->br;
    uint8_t *lens = v->lens;
    memset(lens, 0, (size_t)nsym);
    if (dlcc_vp8l_bits(br, 1)) {
        int two = (int)dlcc_vp8l_bits(br, 1);
        int s = (int)dlcc_vp8l_bits(br, dlcc_vp8l_bits(br, 1) ? 8 : 1);
        if (s < nsym)
            lens[s] = 1;
        if (two) {
            s = (int)dlcc_vp8l_bits(br, 8);
            if (s < nsym)
                lens[s] = 1;
        }
    } else {
        uint8_t cl[19];
        memset(cl, 0, sizeof cl);
        int ncodes = (int)dlcc_vp8l_bits(br, 4) + 4;
        for (int i = 0; i < ncodes; ++i)
            cl[order[i]] = (uint8_t)dlcc_vp8l_bits(br, 3);
        int64_t mark = v->used;
        uint16_t *lc = dlcc_vp8l_build(v, cl, 19);
        if (!lc)
            return NULL;
        int max_symbol = nsym, prev = 8;
        if (dlcc_vp8l_bits(br, 1)) {
            int nb = 2 + 2 * (int)dlcc_vp8l_bits(br, 3);
            max_symbol = 2 + (int)dlcc_vp8l_bits(br, nb);
            if (max_symbol > nsym)
                return NULL;
        }
        for (int s = 0; s < nsym;) {
            if (max_symbol-- == 0)
                break;
            int len = dlcc_vp8l_sym(br, lc);
            if (len < 16) {
                lens[s++] = (uint8_t)len;
                if (len)
                    prev = len;
            } else {
                static const uint8_t xb[3] = {2, 3, 7}, xo[3] = {3, 3, 11};
                int rep = (int)dlcc_vp8l_bits(br, xb[len - 16]) + xo[len - 16];
                if (s + rep > nsym)
                    return NULL;
                int val = len == 16 ? prev : 0;
                while (rep-- > 0)
                    lens[s++] = (uint8_t)val;
            }
            if (br->eos)
                return NULL;
        }
        v->used = mark;
    }
    if (br->eos)
        return NULL;
    return dlcc_vp8l_build(v, lens, nsym);
}

DLCC_RT_FN int dlcc_vp8l_dist(DlccVp8lBr *br, int sym) {
    if (sym < 4)
        return sym + 1;
    int eb = (sym - 2) >> 1;
    return ((2 + (sym & 1)) << eb) + (int)dlcc_vp8l_bits(br, eb) + 1;
}

/* One entropy-coded image of xs x ys pixels into out; level0 allows meta
 * codes.  Returns 0 or -1. */
DLCC_RT_FN int dlcc_vp8l_image(DlccVp8l *v, int64_t xs, int64_t ys, int level0, uint32_t *out) {
    DlccVp8lBr *br = &v->br;
    int cache_bits = 0;
    if (dlcc_vp8l_bits(br, 1)) {
        cache_bits = (int)dlcc_vp8l_bits(br, 4);
        if (cache_bits < 1 || cache_bits > 11)
            return -1;
    }
    int meta_bits = 0;
    int64_t meta_w = 0, ngroups = 1;
    uint32_t *meta = NULL;
    if (level0 && dlcc_vp8l_bits(br, 1)) {
        meta_bits = (int)dlcc_vp8l_bits(br, 3) + 2;
        meta_w = (xs + (1 << meta_bits) - 1) >> meta_bits;
        int64_t meta_h = (ys + (1 << meta_bits) - 1) >> meta_bits;
        meta = (uint32_t *)dlcc_vp8l_alloc(v, 4 * meta_w * meta_h);
        if (!meta || dlcc_vp8l_image(v, meta_w, meta_h, 0, meta))
            return -1;
        ngroups = 0;
        for (int64_t i = 0; i < meta_w * meta_h; ++i) {
            meta[i] = (meta[i] >> 8) & 0xffff;
            if (meta[i] >= ngroups)
                ngroups = meta[i] + 1;
        }
    }
    int64_t mark = v->used;
    uint16_t **codes = (uint16_t **)dlcc_vp8l_alloc(v, (int64_t)sizeof(uint16_t *) * 5 * ngroups);
    if (!codes)
        return -1;
    for (int64_t g = 0; g < ngroups; ++g)
        for (int j = 0; j < 5; ++j) {
            int nsym = j == 0 ? 256 + 24 + (cache_bits ? 1 << cache_bits : 0) : j == 4 ? 40 : 256;
            codes[5 * g + j] = dlcc_vp8l_read_code(v, nsym);
            if (!codes[5 * g + j])
                return -1;
        }
    int64_t total = xs * ys, p = 0;
    uint32_t *cache = v->cache;
    int cshift = 32 - cache_bits;
    while (p < total) {
        int64_t x = p % xs, y = p / xs;
        uint16_t *const *c = codes + (meta ? 5 * (int64_t)meta[(y >> meta_bits) * meta_w + (x >> meta_bits)] : 0);
        int g = dlcc_vp8l_sym(br, c[0]);
        if (g < 256) {
            int r = dlcc_vp8l_sym(br, c[1]), b = dlcc_vp8l_sym(br, c[2]), a = dlcc_vp8l_sym(br, c[3]);
            out[p] = (uint32_t)a << 24 | (uint32_t)r << 16 | (uint32_t)g << 8 | (uint32_t)b;
            if (cache_bits)
                cache[(0x1e35a7bdu * out[p]) >> cshift] = out[p];
            ++p;
        } else if (g < 256 + 24) {
            int64_t len = dlcc_vp8l_dist(br, g - 256);
            int dsym = dlcc_vp8l_sym(br, c[4]);
            int64_t dc = dlcc_vp8l_dist(br, dsym), dist;
            if (dc > 120) {
                dist = dc - 120;
            } else {
                int pc = dlcc_vp8l_plane[dc - 1];
                dist = (pc >> 4) * xs + 8 - (pc & 15);
                if (dist < 1)
                    dist = 1;
            }
            if (br->eos)
                return -1;
            if (dist > p || len > total - p)
                return -1;
            for (int64_t k = 0; k < len; ++k, ++p) {
                out[p] = out[p - dist];
                if (cache_bits)
                    cache[(0x1e35a7bdu * out[p]) >> cshift] = out[p];
            }
        } else {
            int key = g - 256 - 24;
            if (!cache_bits || key >= (1 << cache_bits))
                return -1;
            out[p] = cache[key];
            cache[(0x1e35a7bdu * out[p]) >> cshift] = out[p];
            ++p;
        }
        if (br->eos)
            return -1;
    }
    v->used = mark; /* the codes are no longer needed (the meta image neither) */
    if (meta)
        v->used = (int64_t)((uint8_t *)meta - v->pool);
    return 0;
}

DLCC_RT_FN uint32_t dlcc_vp8l_avg(uint32_t a, uint32_t b) { return (((a ^ b) & 0xfefefefeu) >> 1) + (a & b); }
DLCC_RT_FN uint32_t dlcc_vp8l_add(uint32_t a, uint32_t b) {
    return (((a & 0xff00ff00u) + (b & 0xff00ff00u)) & 0xff00ff00u) | (((a & 0x00ff00ffu) + (b & 0x00ff00ffu)) & 0x00ff00ffu);
}
DLCC_RT_FN int dlcc_vp8l_c255(int v) { return v < 0 ? 0 : v > 255 ? 255 : v; }

DLCC_RT_FN uint32_t dlcc_vp8l_pred(int mode, uint32_t l, uint32_t t, uint32_t tr, uint32_t tl) {
    switch (mode) {
    case 1: return l;
    case 2: return t;
    case 3: return tr;
    case 4: return tl;
    case 5: return dlcc_vp8l_avg(dlcc_vp8l_avg(l, tr), t);
    case 6: return dlcc_vp8l_avg(l, tl);
    case 7: return dlcc_vp8l_avg(l, t);
    case 8: return dlcc_vp8l_avg(tl, t);
    case 9: return dlcc_vp8l_avg(t, tr);
    case 10: return dlcc_vp8l_avg(dlcc_vp8l_avg(l, tl), dlcc_vp8l_avg(t, tr));
    case 11: {
        int d = 0;
        for (int s = 0; s < 32; s += 8) {
            int a = (t >> s) & 255, b = (l >> s) & 255, c = (tl >> s) & 255;
            d += dlcc_vp8_abs(b - c) - dlcc_vp8_abs(a - c);
        }
        return d <= 0 ? t : l;
    }
    case 12: {
        uint32_t r = 0;
        for (int s = 0; s < 32; s += 8)
            r |= (uint32_t)dlcc_vp8l_c255((int)((l >> s) & 255) + (int)((t >> s) & 255) - (int)((tl >> s) & 255)) << s;
        return r;
    }
    case 13: {
        uint32_t av = dlcc_vp8l_avg(l, t), r = 0;
        for (int s = 0; s < 32; s += 8) {
            int a = (av >> s) & 255, b = (tl >> s) & 255;
            r |= (uint32_t)dlcc_vp8l_c255(a + (a - b) / 2) << s;
        }
        return r;
    }
    default: return 0xff000000u;
    }
}

DLCC_RT_FN int dlcc_img_webp_vp8l(const uint8_t *d, int64_t n, const DlccImgOut *o, uint8_t *ws, int64_t ws_size,
                                  int64_t cw, int64_t ch) {
    if (n < 5 || d[0] != 0x2f || ws_size < DLCC_IMG_STATE || (int64_t)sizeof(DlccVp8l) > DLCC_IMG_STATE)
        return DLCC_IMG_EARG;
    DlccVp8l *v = (DlccVp8l *)(void *)ws;
    memset(v, 0, sizeof *v);
    v->br.d = d + 1, v->br.n = n - 1;
    DlccVp8lBr *br = &v->br;
    int64_t w = (int64_t)dlcc_vp8l_bits(br, 14) + 1, h = (int64_t)dlcc_vp8l_bits(br, 14) + 1;
    dlcc_vp8l_bits(br, 1); /* alpha hint */
    if (dlcc_vp8l_bits(br, 3) != 0 || (cw > 0 && (cw != w || ch != h)))
        return DLCC_IMG_EARG;
    if (w != o->w || h != o->h)
        return DLCC_IMG_ESHAPE;
    v->pool = ws + DLCC_IMG_STATE, v->size = ws_size - DLCC_IMG_STATE;
    uint32_t *img0 = (uint32_t *)dlcc_vp8l_alloc(v, 4 * w * h), *img1 = (uint32_t *)dlcc_vp8l_alloc(v, 4 * w * h);
    if (!img0 || !img1)
        return DLCC_IMG_EARG;
    int64_t xs = w;
    while (dlcc_vp8l_bits(br, 1)) {
        int type = (int)dlcc_vp8l_bits(br, 2);
        if (v->transforms_seen & (1 << type) || v->nt >= 4)
            return DLCC_IMG_EARG;
        v->transforms_seen |= 1 << type;
        int k = v->nt++;
        v->tr[k].type = type, v->tr[k].xsize = (int)xs, v->tr[k].bits = 0, v->tr[k].data = NULL;
        if (type == 0 || type == 1) {
            int bits = (int)dlcc_vp8l_bits(br, 3) + 2;
            int64_t tw = (xs + (1 << bits) - 1) >> bits, th = (h + (1 << bits) - 1) >> bits;
            v->tr[k].bits = bits;
            v->tr[k].data = (uint32_t *)dlcc_vp8l_alloc(v, 4 * tw * th);
            if (!v->tr[k].data || dlcc_vp8l_image(v, tw, th, 0, v->tr[k].data))
                return DLCC_IMG_EARG;
        } else if (type == 3) {
            int ncol = (int)dlcc_vp8l_bits(br, 8) + 1;
            int bits = ncol > 16 ? 0 : ncol > 4 ? 1 : ncol > 2 ? 2 : 3;
            uint32_t *pal = (uint32_t *)dlcc_vp8l_alloc(v, 4 * 256);
            if (!pal || dlcc_vp8l_image(v, ncol, 1, 0, pal))
                return DLCC_IMG_EARG;
            for (int i = ncol; i < 256; ++i)
                pal[i] = 0;
            for (int i = 1; i < ncol; ++i)
                pal[i] = dlcc_vp8l_add(pal[i], pal[i - 1]);
            v->tr[k].bits = bits, v->tr[k].data = pal;
            xs = (xs + (1 << bits) - 1) >> bits;
        }
    }
    if (br->eos || dlcc_vp8l_image(v, xs, h, 1, img0))
        return DLCC_IMG_EARG;
    /* inverse transforms, last read first */
    uint32_t *cur = img0, *oth = img1;
    for (int k = v->nt - 1; k >= 0; --k) {
        int64_t tw = v->tr[k].xsize;
        int bits = v->tr[k].bits;
        const uint32_t *td = v->tr[k].data;
        int64_t tpr = (tw + (1 << bits) - 1) >> bits;
        if (v->tr[k].type == 2) {
            for (int64_t i = 0; i < tw * h; ++i) {
                uint32_t a = cur[i], g = (a >> 8) & 0xff;
                cur[i] = (a & 0xff00ff00u) | (((a & 0x00ff00ffu) + (g << 16 | g)) & 0x00ff00ffu);
            }
        } else if (v->tr[k].type == 1) {
            for (int64_t y = 0; y < h; ++y)
                for (int64_t x = 0; x < tw; ++x) {
                    uint32_t m = td[(y >> bits) * tpr + (x >> bits)], a = cur[y * tw + x];
                    int g = (int8_t)(uint8_t)(a >> 8);
                    int r = (int)((a >> 16) & 0xff), b = (int)(a & 0xff);
                    r += ((int)(int8_t)(uint8_t)(m & 0xff) * g) >> 5;
                    r &= 0xff;
                    b += ((int)(int8_t)(uint8_t)((m >> 8) & 0xff) * g) >> 5;
                    b += ((int)(int8_t)(uint8_t)((m >> 16) & 0xff) * (int)(int8_t)(uint8_t)r) >> 5;
                    b &= 0xff;
                    cur[y * tw + x] = (a & 0xff00ff00u) | (uint32_t)r << 16 | (uint32_t)b;
                }
        } else if (v->tr[k].type == 0) {
            for (int64_t y = 0; y < h; ++y)
                for (int64_t x = 0; x < tw; ++x) {
                    uint32_t *p = cur + y * tw + x, pred;
                    if (y == 0)
                        pred = x == 0 ? 0xff000000u : p[-1];
                    else if (x == 0)
                        pred = p[-tw];
                    else
                        pred = dlcc_vp8l_pred((int)((td[(y >> bits) * tpr + (x >> bits)] >> 8) & 0xf), p[-1], p[-tw],
                                              p[-tw + 1], p[-tw - 1]);
                    *p = dlcc_vp8l_add(*p, pred);
                }
        } else {
            int bpp = 8 >> bits;
            uint32_t mask = (1u << bpp) - 1;
            int64_t pw = tpr; /* the packed width */
            for (int64_t y = 0; y < h; ++y) {
                const uint32_t *src = cur + y * pw;
                uint32_t packed = 0;
                for (int64_t x = 0; x < tw; ++x) {
                    if ((x & ((1 << bits) - 1)) == 0)
                        packed = (src[x >> bits] >> 8) & 0xff;
                    oth[y * tw + x] = td[packed & mask];
                    packed >>= bpp;
                }
            }
            uint32_t *t = cur;
            cur = oth, oth = t;
        }
    }
    for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) {
            uint32_t a = cur[y * w + x];
            dlcc_img_put(o, y, x, (int)((a >> 16) & 0xff), (int)((a >> 8) & 0xff), (int)(a & 0xff));
        }
    return 0;
}

/* The RIFF container: "VP8 " or "VP8L" directly, or VP8X, optional
 * chunks (ALPH, ICCP, EXIF, XMP...: skipped), then "VP8 " or "VP8L".
 * Animations are not supported. */
DLCC_RT_FN int dlcc_img_webp(const uint8_t *d, int64_t n, const DlccImgOut *o, uint8_t *ws, int64_t ws_size) {
    if (n < 20 || memcmp(d, "RIFF", 4) || memcmp(d + 8, "WEBP", 4))
        return DLCC_IMG_EARG;
    int64_t riff = dlcc_img_le32(d + 4);
    if (riff < 12 || riff > n - 8)
        return DLCC_IMG_EARG;
    n = riff + 8;
    int64_t pos = 12, cw = 0, chh = 0;
    if (!memcmp(d + pos, "VP8X", 4)) {
        if (dlcc_img_le32(d + pos + 4) != 10 || n - pos < 18)
            return DLCC_IMG_EARG;
        if (d[pos + 8] & 2)
            return DLCC_IMG_EARG; /* animation */
        cw = 1 + (int64_t)(dlcc_img_le32(d + pos + 12) & 0xffffff);
        chh = 1 + (int64_t)(dlcc_img_le32(d + pos + 14) >> 8);
        pos += 18;
        for (;;) {
            if (n - pos < 8)
                return DLCC_IMG_EARG;
            if (!memcmp(d + pos, "VP8 ", 4) || !memcmp(d + pos, "VP8L", 4))
                break;
            int64_t disk = (8 + (int64_t)dlcc_img_le32(d + pos + 4) + 1) & ~(int64_t)1;
            if (disk > n - pos)
                return DLCC_IMG_EARG;
            pos += disk;
        }
    }
    if (n - pos < 8 || (memcmp(d + pos, "VP8 ", 4) && memcmp(d + pos, "VP8L", 4)))
        return DLCC_IMG_EARG;
    int64_t size = dlcc_img_le32(d + pos + 4);
    if (size > n - pos - 8)
        return DLCC_IMG_EARG;
    if (d[pos + 3] == 'L')
        return dlcc_img_webp_vp8l(d + pos + 8, size, o, ws, ws_size, cw, chh);
    return dlcc_img_webp_vp8(d + pos + 8, size, o, ws, ws_size, cw, chh);
}

/* ---------------------------------------------------------------- JPEG 2000 */

/* JPEG 2000 (T.800) as OpenJPEG 2.5 decodes it: a JP2 file (its jp2c box)
 * or a raw codestream; 1-4 8-bit unsigned components at full resolution;
 * any tiles (one tile-part each); COD/COC with the 5/3 (integer) or 9/7
 * (float: OpenJPEG's constants, two_invK and step sizes without the band
 * gain, its operation order, the ICT, lrintf) wavelet, any precinct
 * sizes, code-block style 0 (no
 * bypass, reset, termination...); QCD/QCC without quantisation; every
 * progression order (position orders stepped as OpenJPEG's pi.c does);
 * SOP/EPH.  Not supported (-1): POC, RGN, PPM/PPT, tile-part
 * headers with coding parameters, several tile-parts a tile.  Each
 * tile is decoded on its own: tier 2 reads the packet headers (tag trees,
 * pass counts, Lblock lengths) and records each code-block's byte ranges,
 * tier 1 decodes each code-block (MQ decoder, the three passes) into the
 * tile-component's subband layout (OpenJPEG's doubled values halved at
 * the end), then the inverse 5/3 lifting (rows, then columns, per level),
 * the inverse RCT when MCT = 1, the DC shift and the clamp.  Everything
 * lives in an arena in ws, reset per tile; running out of it is -1. */

static const uint16_t dlcc_j2k_qe[47] = {
    0x5601, 0x3401, 0x1801, 0x0ac1, 0x0521, 0x0221, 0x5601, 0x5401, 0x4801, 0x3801, 0x3001, 0x2401,
    0x1c01, 0x1601, 0x5601, 0x5401, 0x5101, 0x4801, 0x3801, 0x3401, 0x3001, 0x2801, 0x2401, 0x2201,
    0x1c01, 0x1801, 0x1601, 0x1401, 0x1201, 0x1101, 0x0ac1, 0x09c1, 0x08a1, 0x0521, 0x0441, 0x02a1,
    0x0221, 0x0141, 0x0111, 0x0085, 0x0049, 0x0025, 0x0015, 0x0009, 0x0005, 0x0001, 0x5601};
static const uint8_t dlcc_j2k_nmps[47] = {1,  2,  3,  4,  5,  38, 7,  8,  9,  10, 11, 12, 13, 29, 15, 16,
                                          17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
                                          33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 45, 46};
static const uint8_t dlcc_j2k_nlps[47] = {1,  6,  9,  12, 29, 33, 6,  14, 14, 14, 17, 18, 20, 21, 14, 14,
                                          15, 16, 17, 18, 19, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
                                          30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 46};

typedef struct DlccMq {
    const uint8_t *p;
    int64_t pos, n;
    uint32_t a, c;
    int ct;
    uint8_t st[19], mps[19];
} DlccMq;

DLCC_RT_FN uint32_t dlcc_mq_at(const DlccMq *m, int64_t i) { return i < m->n ? m->p[i] : 0xffu; }

DLCC_RT_FN void dlcc_mq_bytein(DlccMq *m) {
    if (dlcc_mq_at(m, m->pos) == 0xff) {
        if (dlcc_mq_at(m, m->pos + 1) > 0x8f) {
            m->c += 0xff00, m->ct = 8;
        } else {
            m->pos++;
            m->c += dlcc_mq_at(m, m->pos) << 9, m->ct = 7;
        }
    } else {
        m->pos++;
        m->c += dlcc_mq_at(m, m->pos) << 8, m->ct = 8;
    }
}

DLCC_RT_FN void dlcc_mq_init(DlccMq *m, const uint8_t *p, int64_t n) {
    m->p = p, m->n = n, m->pos = 0;
    memset(m->st, 0, sizeof m->st);
    memset(m->mps, 0, sizeof m->mps);
    m->st[0] = 4, m->st[17] = 3, m->st[18] = 46;
    m->c = dlcc_mq_at(m, 0) << 16;
    dlcc_mq_bytein(m);
    m->c <<= 7, m->ct -= 7, m->a = 0x8000;
}

DLCC_RT_FN int dlcc_mq_decode(DlccMq *m, int cx) {
    int s = m->st[cx], d;
    uint32_t qe = dlcc_j2k_qe[s];
    m->a -= qe;
    if ((m->c >> 16) < qe) {
        if (m->a < qe) {
            d = m->mps[cx], m->st[cx] = dlcc_j2k_nmps[s];
        } else {
            d = !m->mps[cx];
            if (s == 0 || s == 6 || s == 14)
                m->mps[cx] ^= 1;
            m->st[cx] = dlcc_j2k_nlps[s];
        }
        m->a = qe;
    } else {
        m->c -= qe << 16;
        if (m->a & 0x8000)
            return m->mps[cx];
        if (m->a < qe) {
            d = !m->mps[cx];
            if (s == 0 || s == 6 || s == 14)
                m->mps[cx] ^= 1;
            m->st[cx] = dlcc_j2k_nlps[s];
        } else {
            d = m->mps[cx], m->st[cx] = dlcc_j2k_nmps[s];
        }
    }
    do {
        if (m->ct == 0)
            dlcc_mq_bytein(m);
        m->a <<= 1, m->c <<= 1, m->ct--;
    } while (!(m->a & 0x8000));
    return d;
}

/* tier 1: one code-block (style 0).  f: (w + 2) x (h + 2) flags */
#define DLCC_J2K_SIG 1
#define DLCC_J2K_NEG 2
#define DLCC_J2K_VISIT 4
#define DLCC_J2K_REF 8

typedef struct DlccJ2kT1 {
    DlccMq mq;
    int32_t v[4096];
    uint8_t f[6400];
    int w, h, fw, orient;
} DlccJ2kT1;

DLCC_RT_FN int dlcc_j2k_nsig(const DlccJ2kT1 *t, int i, int *hh, int *vv, int *dd) {
    const uint8_t *f = t->f;
    int fw = t->fw;
    *hh = (f[i - 1] & 1) + (f[i + 1] & 1);
    *vv = (f[i - fw] & 1) + (f[i + fw] & 1);
    *dd = (f[i - fw - 1] & 1) + (f[i - fw + 1] & 1) + (f[i + fw - 1] & 1) + (f[i + fw + 1] & 1);
    return *hh + *vv + *dd;
}

DLCC_RT_FN int dlcc_j2k_zc(const DlccJ2kT1 *t, int i) {
    int h, v, d;
    dlcc_j2k_nsig(t, i, &h, &v, &d);
    if (t->orient == 1) {
        int s = h;
        h = v, v = s;
    }
    if (t->orient == 3) {
        int hv = h + v;
        if (d >= 3)
            return 8;
        if (d == 2)
            return hv >= 1 ? 7 : 6;
        if (d == 1)
            return hv >= 2 ? 5 : hv == 1 ? 4 : 3;
        return hv >= 2 ? 2 : hv == 1 ? 1 : 0;
    }
    if (h == 2)
        return 8;
    if (h == 1)
        return v >= 1 ? 7 : d >= 1 ? 6 : 5;
    if (v == 2)
        return 4;
    if (v == 1)
        return 3;
    return d >= 2 ? 2 : d == 1 ? 1 : 0;
}

DLCC_RT_FN int dlcc_j2k_contrib(uint8_t a, uint8_t b) {
    int s = (a & 1 ? (a & DLCC_J2K_NEG ? -1 : 1) : 0) + (b & 1 ? (b & DLCC_J2K_NEG ? -1 : 1) : 0);
    return s > 1 ? 1 : s < -1 ? -1 : s;
}

/* decodes the sign of sample i and makes it significant */
DLCC_RT_FN void dlcc_j2k_sign(DlccJ2kT1 *t, int i, int k, int32_t oph) {
    uint8_t *f = t->f;
    int hc = dlcc_j2k_contrib(f[i - 1], f[i + 1]), vc = dlcc_j2k_contrib(f[i - t->fw], f[i + t->fw]);
    int cx, x = 0;
    if (hc == 0) {
        cx = vc == 0 ? 9 : 10, x = vc < 0;
    } else {
        cx = vc == 0 ? 12 : (vc == hc ? 13 : 11);
        x = hc < 0;
    }
    int neg = dlcc_mq_decode(&t->mq, cx) ^ x;
    t->v[k] = neg ? -oph : oph;
    f[i] |= (uint8_t)(DLCC_J2K_SIG | (neg ? DLCC_J2K_NEG : 0));
}

DLCC_RT_FN void dlcc_j2k_pass(DlccJ2kT1 *t, int type, int bp1) {
    int32_t one = (int32_t)1 << bp1, half = one >> 1, oph = one | half;
    int w = t->w, h = t->h, fw = t->fw;
    uint8_t *f = t->f;
    for (int y0 = 0; y0 < h; y0 += 4) {
        int y1 = y0 + 4 < h ? y0 + 4 : h;
        for (int x = 0; x < w; x++) {
            int y = y0;
            if (type == 2 && y1 - y0 == 4) {
                int run = 1, hh, vv, dd;
                for (int r = 0; r < 4 && run; r++) {
                    int i = (y0 + r + 1) * fw + x + 1;
                    if ((f[i] & (DLCC_J2K_SIG | DLCC_J2K_VISIT)) || dlcc_j2k_nsig(t, i, &hh, &vv, &dd))
                        run = 0;
                }
                if (run) {
                    if (!dlcc_mq_decode(&t->mq, 17))
                        continue;
                    int r = dlcc_mq_decode(&t->mq, 18) << 1;
                    r |= dlcc_mq_decode(&t->mq, 18);
                    y = y0 + r;
                    dlcc_j2k_sign(t, (y + 1) * fw + x + 1, y * w + x, oph);
                    y++;
                }
            }
            for (; y < y1; y++) {
                int i = (y + 1) * fw + x + 1, k = y * w + x, hh, vv, dd;
                if (type == 0) {
                    if (!(f[i] & DLCC_J2K_SIG) && dlcc_j2k_nsig(t, i, &hh, &vv, &dd)) {
                        if (dlcc_mq_decode(&t->mq, dlcc_j2k_zc(t, i)))
                            dlcc_j2k_sign(t, i, k, oph);
                        f[i] |= DLCC_J2K_VISIT;
                    }
                } else if (type == 1) {
                    if ((f[i] & (DLCC_J2K_SIG | DLCC_J2K_VISIT)) == DLCC_J2K_SIG) {
                        int cx = f[i] & DLCC_J2K_REF ? 16 : dlcc_j2k_nsig(t, i, &hh, &vv, &dd) ? 15 : 14;
                        int bit = dlcc_mq_decode(&t->mq, cx);
                        t->v[k] += (bit ^ (t->v[k] < 0)) ? half : -half;
                        f[i] |= DLCC_J2K_REF;
                    }
                } else if (!(f[i] & (DLCC_J2K_SIG | DLCC_J2K_VISIT))) {
                    if (dlcc_mq_decode(&t->mq, dlcc_j2k_zc(t, i)))
                        dlcc_j2k_sign(t, i, k, oph);
                }
            }
            if (type == 2)
                for (y = y0; y < y1; y++)
                    f[(y + 1) * fw + x + 1] &= (uint8_t)~DLCC_J2K_VISIT;
        }
    }
}

/* decodes a code-block of w x h into dst (row stride `stride`) */
DLCC_RT_FN void dlcc_j2k_block(DlccJ2kT1 *t, const uint8_t *data, int64_t len, int w, int h, int orient, int numbps,
                               int passes, int32_t *dst, float *fdst, float step, int64_t stride) {
    t->w = w, t->h = h, t->fw = w + 2, t->orient = orient;
    memset(t->v, 0, sizeof(int32_t) * (size_t)(w * h));
    memset(t->f, 0, (size_t)((w + 2) * (h + 2)));
    dlcc_mq_init(&t->mq, data, len);
    int bp1 = numbps, type = 2;
    for (int p = 0; p < passes && bp1 >= 1; p++) {
        dlcc_j2k_pass(t, type, bp1);
        if (++type == 3)
            type = 0, bp1--;
    }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            if (fdst)
                fdst[y * stride + x] = (float)t->v[y * w + x] * step;
            else
                dst[y * stride + x] = t->v[y * w + x] / 2;
}

/* inverse 9/7 on one line as OpenJPEG 2.5's opj_v8dwt_decode computes it
 * (its constants, two_invK, the same float operations in the same order,
 * one per statement so that nothing is contracted into an FMA) */
DLCC_RT_FN void dlcc_j2k_step97(float *t, int l, int f, int end, int m, float c) {
    int imax = end < m ? end : m, left = l;
    for (int i = 0; i < imax; i++) {
        float sum = t[left] + t[f + 2 * i];
        float prod = sum * c;
        t[f - 1 + 2 * i] = t[f - 1 + 2 * i] + prod;
        left = f + 2 * i;
    }
    if (m < end) {
        float c2 = c + c;
        float prod = t[left] * c2;
        t[f - 1 + 2 * imax] = t[f - 1 + 2 * imax] + prod;
    }
}

DLCC_RT_FN void dlcc_j2k_idwt97(float *x, int64_t step, int sn, int dn, int cas, float *tmp) {
    int n = sn + dn, a = cas, b = 1 - cas;
    if (cas == 0 ? !(dn > 0 || sn > 1) : !(sn > 0 || dn > 1))
        return;
    for (int i = 0; i < sn; i++)
        tmp[2 * i + a] = x[i * step];
    for (int i = 0; i < dn; i++)
        tmp[2 * i + b] = x[(sn + i) * step];
    for (int i = 0; i < sn; i++)
        tmp[2 * i + a] = tmp[2 * i + a] * 1.230174105f;
    for (int i = 0; i < dn; i++)
        tmp[2 * i + b] = tmp[2 * i + b] * 1.625732422f;
    int ml = sn < dn - a ? sn : dn - a, mh = dn < sn - b ? dn : sn - b;
    dlcc_j2k_step97(tmp, b, a + 1, sn, ml, -0.443506852f);
    dlcc_j2k_step97(tmp, a, b + 1, dn, mh, -0.882911075f);
    dlcc_j2k_step97(tmp, b, a + 1, sn, ml, 0.052980118f);
    dlcc_j2k_step97(tmp, a, b + 1, dn, mh, 1.586134342f);
    for (int i = 0; i < n; i++)
        x[i * step] = tmp[i];
}

/* OpenJPEG's lrintf (nearest, ties to even), its clamps, + 128, 0..255 */
DLCC_RT_FN int dlcc_j2k_round(float f) {
    if (!(f == f) || f < -2147483648.0f)
        return 0;
    if (f > 2147483647.0f)
        return 255;
    int64_t i = (int64_t)f;
    float frac = f - (float)i;
    if (frac > 0.5f || (frac == 0.5f && (i & 1)))
        i++;
    else if (frac < -0.5f || (frac == -0.5f && (i & 1)))
        i--;
    i += 128;
    return i < 0 ? 0 : i > 255 ? 255 : (int)i;
}

/* inverse 5/3 on one line: x[0, sn) low, x[sn, sn + dn) high; cas: the
 * line starts at an odd coordinate; tmp: sn + dn ints */
DLCC_RT_FN void dlcc_j2k_idwt1(int32_t *x, int64_t step, int sn, int dn, int cas, int32_t *tmp) {
    int n = sn + dn;
    if (n == 0)
        return;
    if (n == 1) {
        if (cas)
            x[0] /= 2;
        return;
    }
    for (int i = 0; i < sn; i++)
        tmp[2 * i + cas] = x[i * step];
    for (int i = 0; i < dn; i++)
        tmp[2 * i + 1 - cas] = x[(sn + i) * step];
    for (int k = cas; k < n; k += 2) {
        int64_t a = tmp[k - 1 >= 0 ? k - 1 : 1], b = tmp[k + 1 < n ? k + 1 : n - 2];
        tmp[k] = (int32_t)(tmp[k] - ((a + b + 2) >> 2));
    }
    for (int k = 1 - cas; k < n; k += 2) {
        int64_t a = tmp[k - 1 >= 0 ? k - 1 : 1], b = tmp[k + 1 < n ? k + 1 : n - 2];
        tmp[k] = (int32_t)(tmp[k] + ((a + b) >> 1));
    }
    for (int i = 0; i < n; i++)
        x[i * step] = tmp[i];
}

typedef struct DlccJ2kCb {
    int32_t x0, y0, x1, y1; /* in band coordinates */
    int32_t numbps, passes, lblock, seen, seg, last;
} DlccJ2kCb;

typedef struct DlccJ2kBand {
    int32_t x0, y0, x1, y1, orient, numbps, xoff, yoff;
    int32_t cw, ch, cb, xcb, ycb; /* code-blocks across, down; the first; their size (log2) */
    float step;                   /* 9/7: half the quantisation step */
} DlccJ2kBand;

typedef struct DlccJ2kComp {
    int levels, xcb, ycb, style, rev, guard, qstyle;
    uint8_t expn[100], ppx[33], ppy[33];
    uint16_t mant[100];
} DlccJ2kComp;

typedef struct DlccJ2k {
    const uint8_t *d;
    int64_t n;
    uint8_t *ws;
    int64_t ws_size, top;
    int nc, order, layers, mct, sop, eph;
    int64_t x0, y0, x1, y1, tw, th, tx0, ty0;
    DlccJ2kComp comp[4];
    /* per tile */
    DlccJ2kBand *bands; /* [c][r][3] */
    DlccJ2kCb *cbs;
    int32_t *tval, *tlow, *tpar, ntree;
    int64_t *segs, nseg, maxseg; /* (off, len, next) triples */
    int32_t *pb; /* per precinct and band: first code-block column, row, across, down, tag trees */
    uint8_t *done;
    int64_t rx0[4][33], ry0[4][33], rx1[4][33], ry1[4][33], pw[4][33], ph[4][33], pbase[4][33];
    /* packet header bits */
    int64_t pos, end;
    uint32_t buf;
    int bct;
} DlccJ2k;

DLCC_RT_FN void *dlcc_j2k_alloc(DlccJ2k *j, int64_t bytes) {
    int64_t at = (j->top + 15) & ~(int64_t)15;
    if (bytes < 0 || at > j->ws_size || bytes > j->ws_size - at)
        return NULL;
    j->top = at + bytes;
    return j->ws + at;
}

DLCC_RT_FN int64_t dlcc_j2k_ceil(int64_t a, int s) { return (a + ((int64_t)1 << s) - 1) >> s; }

DLCC_RT_FN int dlcc_j2k_bit(DlccJ2k *j) {
    if (j->bct == 0) {
        if (j->pos >= j->end)
            return -1;
        j->bct = j->buf == 0xff ? 7 : 8;
        j->buf = j->d[j->pos++];
    }
    j->bct--;
    return (int)((j->buf >> j->bct) & 1);
}

DLCC_RT_FN int64_t dlcc_j2k_bits(DlccJ2k *j, int k) {
    int64_t v = 0;
    for (int i = 0; i < k; i++) {
        int b = dlcc_j2k_bit(j);
        if (b < 0)
            return -1;
        v = v << 1 | b;
    }
    return v;
}

/* a tag tree over cw x ch leaves: returns the first node index, -1 */
DLCC_RT_FN int32_t dlcc_j2k_tree(DlccJ2k *j, int32_t cw, int32_t ch, int32_t cap) {
    int32_t first = j->ntree, w = cw, h = ch, base = first;
    if (cw == 0 || ch == 0)
        return first;
    for (;;) {
        int32_t nw = (w + 1) / 2, nh = (h + 1) / 2, top = w == 1 && h == 1;
        if (base + w * h > cap)
            return -1;
        for (int32_t y = 0; y < h; y++)
            for (int32_t x = 0; x < w; x++) {
                int32_t i = base + y * w + x;
                j->tval[i] = 0x7fffffff, j->tlow[i] = 0;
                j->tpar[i] = top ? -1 : base + w * h + (y / 2) * nw + x / 2;
            }
        base += w * h;
        if (top)
            break;
        w = nw, h = nh;
    }
    j->ntree = base;
    return first;
}

/* 1 if the leaf's value < thr, 0 if not, -1 on a read error */
DLCC_RT_FN int dlcc_j2k_tdec(DlccJ2k *j, int32_t leaf, int32_t thr) {
    int32_t stk[40], k = 0, node = leaf;
    while (j->tpar[node] >= 0 && k < 40)
        stk[k++] = node, node = j->tpar[node];
    int32_t low = 0;
    for (;;) {
        if (low > j->tlow[node])
            j->tlow[node] = low;
        else
            low = j->tlow[node];
        while (low < thr && low < j->tval[node]) {
            int b = dlcc_j2k_bit(j);
            if (b < 0)
                return -1;
            if (b)
                j->tval[node] = low;
            else
                low++;
        }
        j->tlow[node] = low;
        if (k == 0)
            break;
        node = stk[--k];
    }
    return j->tval[node] < thr;
}

DLCC_RT_FN DlccJ2kBand *dlcc_j2k_band(DlccJ2k *j, int c, int r, int b) { return j->bands + (c * 33 + r) * 3 + b; }

/* one packet: component c, resolution r, precinct pr, layer l */
DLCC_RT_FN int dlcc_j2k_packet(DlccJ2k *j, int c, int r, int64_t pr, int l) {
    const DlccJ2kComp *cp = &j->comp[c];
    if (r > cp->levels || pr < 0 || pr >= j->pw[c][r] * j->ph[c][r])
        return 0; /* no precinct */
    if (j->sop && j->end - j->pos >= 6 && j->d[j->pos] == 0xff && j->d[j->pos + 1] == 0x91)
        j->pos += 6;
    j->bct = 0, j->buf = 0;
    int nb = r == 0 ? 1 : 3, present = dlcc_j2k_bit(j);
    if (present < 0)
        return DLCC_IMG_EARG;
    int64_t lens_at = j->nseg; /* new segments of this packet: lengths first, offsets after */
    if (present) {
        for (int b = 0; b < nb; b++) {
            DlccJ2kBand *bd = dlcc_j2k_band(j, c, r, b);
            const int32_t *pb = j->pb + 6 * ((j->pbase[c][r] + pr) * 3 + b);
            for (int32_t q = 0; q < pb[2] * pb[3]; q++) {
                int32_t cbi = bd->cb + (pb[1] + q / pb[2]) * bd->cw + pb[0] + q % pb[2];
                DlccJ2kCb *cb = j->cbs + cbi;
                int inc;
                if (!cb->seen) {
                    inc = dlcc_j2k_tdec(j, pb[4] + q, l + 1);
                } else {
                    inc = dlcc_j2k_bit(j);
                }
                if (inc < 0)
                    return DLCC_IMG_EARG;
                if (!inc)
                    continue;
                if (!cb->seen) {
                    int32_t i = 0;
                    int t;
                    while ((t = dlcc_j2k_tdec(j, pb[5] + q, i)) == 0)
                        if (++i > 64)
                            return DLCC_IMG_EARG;
                    if (t < 0)
                        return DLCC_IMG_EARG;
                    cb->numbps = bd->numbps + 1 - i;
                    cb->seen = 1, cb->lblock = 3;
                }
                int64_t np = 1, v;
                if ((v = dlcc_j2k_bit(j)) < 0)
                    return DLCC_IMG_EARG;
                if (v) {
                    if ((v = dlcc_j2k_bit(j)) < 0)
                        return DLCC_IMG_EARG;
                    np = 2;
                    if (v) {
                        if ((v = dlcc_j2k_bits(j, 2)) < 0)
                            return DLCC_IMG_EARG;
                        np = 3 + v;
                        if (v == 3) {
                            if ((v = dlcc_j2k_bits(j, 5)) < 0)
                                return DLCC_IMG_EARG;
                            np = 6 + v;
                            if (v == 31) {
                                if ((v = dlcc_j2k_bits(j, 7)) < 0)
                                    return DLCC_IMG_EARG;
                                np = 37 + v;
                            }
                        }
                    }
                }
                while ((v = dlcc_j2k_bit(j)) == 1)
                    if (++cb->lblock > 32)
                        return DLCC_IMG_EARG;
                if (v < 0)
                    return DLCC_IMG_EARG;
                int lg = 0;
                while ((2 << lg) <= np)
                    lg++;
                int64_t len = dlcc_j2k_bits(j, cb->lblock + lg);
                if (len < 0 || cb->passes > 1000)
                    return DLCC_IMG_EARG;
                cb->passes += (int32_t)np;
                if (len == 0)
                    continue;
                if (j->nseg >= j->maxseg)
                    return DLCC_IMG_EARG;
                int64_t *s = j->segs + 3 * j->nseg;
                s[0] = cbi, s[1] = len, s[2] = -1;
                j->nseg++;
            }
        }
    }
    if (j->buf == 0xff) { /* the stuffed byte after a final 0xff */
        if (j->pos >= j->end)
            return DLCC_IMG_EARG;
        j->pos++;
    }
    if (j->eph) {
        if (j->end - j->pos < 2 || j->d[j->pos] != 0xff || j->d[j->pos + 1] != 0x92)
            return DLCC_IMG_EARG;
        j->pos += 2;
    }
    /* the bodies, in the same order: link each to its code-block */
    for (int64_t k = lens_at; k < j->nseg; k++) {
        int64_t *s = j->segs + 3 * k, len = s[1];
        DlccJ2kCb *cb = j->cbs + s[0];
        if (len > j->end - j->pos)
            return DLCC_IMG_EARG;
        s[0] = j->pos, j->pos += len;
        if (cb->last < 0)
            cb->seg = (int32_t)k;
        else
            j->segs[3 * cb->last + 2] = k;
        cb->last = (int32_t)k;
    }
    return 0;
}

/* decodes one tile from d[pos, end) */
DLCC_RT_FN int dlcc_j2k_tile(DlccJ2k *j, int64_t tile, int64_t pos, int64_t end, const DlccImgOut *o, int64_t base) {
    int64_t ntx = (j->x1 - j->tx0 + j->tw - 1) / j->tw;
    int64_t tpx = tile % ntx, tpy = tile / ntx;
    int64_t tx0 = j->tx0 + tpx * j->tw, ty0 = j->ty0 + tpy * j->th, tx1 = tx0 + j->tw, ty1 = ty0 + j->th;
    if (tx0 < j->x0)
        tx0 = j->x0;
    if (ty0 < j->y0)
        ty0 = j->y0;
    if (tx1 > j->x1)
        tx1 = j->x1;
    if (ty1 > j->y1)
        ty1 = j->y1;
    if (tx0 >= tx1 || ty0 >= ty1)
        return DLCC_IMG_EARG;
    int64_t w = tx1 - tx0, h = ty1 - ty0;
    j->top = base;
    int32_t *plane[4];
    float *fplane[4]; /* the same memory, for 9/7 components (never both) */
    for (int c = 0; c < j->nc; c++) {
        void *mem = dlcc_j2k_alloc(j, w * h * 4);
        if (!mem)
            return DLCC_IMG_EARG;
        memset(mem, 0, (size_t)(w * h * 4));
        plane[c] = j->comp[c].rev ? (int32_t *)mem : NULL;
        fplane[c] = j->comp[c].rev ? NULL : (float *)mem;
    }
    float *ftmp = (float *)dlcc_j2k_alloc(j, (w > h ? w : h) * 4 + 16);
    int32_t *tmp = (int32_t *)dlcc_j2k_alloc(j, (w > h ? w : h) * 4 + 16);
    DlccJ2kT1 *t1 = (DlccJ2kT1 *)dlcc_j2k_alloc(j, (int64_t)sizeof(DlccJ2kT1));
    j->bands = (DlccJ2kBand *)dlcc_j2k_alloc(j, (int64_t)sizeof(DlccJ2kBand) * 4 * 33 * 3);
    if (!tmp || !ftmp || !t1 || !j->bands)
        return DLCC_IMG_EARG;
    /* geometry: resolutions, precincts, bands, code-blocks */
    int64_t ncb = 0, npb = 0;
    for (int c = 0; c < j->nc; c++) {
        const DlccJ2kComp *cp = &j->comp[c];
        for (int r = 0; r <= cp->levels; r++) {
            int lv = cp->levels - r;
            j->rx0[c][r] = dlcc_j2k_ceil(tx0, lv), j->ry0[c][r] = dlcc_j2k_ceil(ty0, lv);
            j->rx1[c][r] = dlcc_j2k_ceil(tx1, lv), j->ry1[c][r] = dlcc_j2k_ceil(ty1, lv);
            int ppx = cp->ppx[r], ppy = cp->ppy[r];
            if (j->rx0[c][r] == j->rx1[c][r] || j->ry0[c][r] == j->ry1[c][r]) {
                j->pw[c][r] = j->ph[c][r] = 0;
            } else {
                j->pw[c][r] = dlcc_j2k_ceil(j->rx1[c][r], ppx) - (j->rx0[c][r] >> ppx);
                j->ph[c][r] = dlcc_j2k_ceil(j->ry1[c][r], ppy) - (j->ry0[c][r] >> ppy);
            }
            j->pbase[c][r] = npb;
            npb += j->pw[c][r] * j->ph[c][r];
            if (npb > 0x1000000)
                return DLCC_IMG_EARG;
            for (int b = 0; b < (r ? 3 : 1); b++) {
                DlccJ2kBand *bd = dlcc_j2k_band(j, c, r, b);
                int orient = r ? b + 1 : 0, nbl = r ? lv + 1 : lv;
                int64_t ox = orient & 1, oy = orient >> 1;
                bd->x0 = (int32_t)dlcc_j2k_ceil(tx0 - (ox << (nbl - 1 < 0 ? 0 : nbl - 1)) * (r ? 1 : 0), nbl);
                bd->y0 = (int32_t)dlcc_j2k_ceil(ty0 - (oy << (nbl - 1 < 0 ? 0 : nbl - 1)) * (r ? 1 : 0), nbl);
                bd->x1 = (int32_t)dlcc_j2k_ceil(tx1 - (ox << (nbl - 1 < 0 ? 0 : nbl - 1)) * (r ? 1 : 0), nbl);
                bd->y1 = (int32_t)dlcc_j2k_ceil(ty1 - (oy << (nbl - 1 < 0 ? 0 : nbl - 1)) * (r ? 1 : 0), nbl);
                bd->orient = orient;
                int e = r ? 3 * (r - 1) + 1 + b : 0;
                bd->numbps = cp->expn[e] + cp->guard - 1;
                /* 9/7: OpenJPEG's step, (1 + mant / 2048) 2^(8 - expn) (no gain), halved */
                float st = (float)(2048 + cp->mant[e]) / 4096.0f;
                for (int k = 0; k < 8; k++)
                    st *= 2.0f;
                for (int k = 0; k < cp->expn[e]; k++)
                    st *= 0.5f;
                bd->step = st;
                bd->xoff = (orient & 1) ? (int32_t)(j->rx1[c][r - 1] - j->rx0[c][r - 1]) : 0;
                bd->yoff = (orient & 2) ? (int32_t)(j->ry1[c][r - 1] - j->ry0[c][r - 1]) : 0;
                bd->xcb = cp->xcb < ppx - (r > 0) ? cp->xcb : ppx - (r > 0);
                bd->ycb = cp->ycb < ppy - (r > 0) ? cp->ycb : ppy - (r > 0);
                if (bd->x0 == bd->x1 || bd->y0 == bd->y1) {
                    bd->cw = bd->ch = 0;
                } else {
                    bd->cw = (int32_t)(dlcc_j2k_ceil(bd->x1, bd->xcb) - (bd->x0 >> bd->xcb));
                    bd->ch = (int32_t)(dlcc_j2k_ceil(bd->y1, bd->ycb) - (bd->y0 >> bd->ycb));
                }
                bd->cb = (int32_t)ncb;
                ncb += (int64_t)bd->cw * bd->ch;
            }
        }
    }
    if (ncb > 0x3fffffff || !(j->cbs = (DlccJ2kCb *)dlcc_j2k_alloc(j, ncb * (int64_t)sizeof(DlccJ2kCb))))
        return DLCC_IMG_EARG;
    int64_t cap = 0; /* tag tree nodes: two trees a precinct's band */
    if (!(j->pb = (int32_t *)dlcc_j2k_alloc(j, npb * 3 * 6 * 4)) || !(j->done = (uint8_t *)dlcc_j2k_alloc(j, npb)))
        return DLCC_IMG_EARG;
    memset(j->done, 0, (size_t)npb);
    memset(j->pb, 0, (size_t)(npb * 3 * 6 * 4));
    for (int c = 0; c < j->nc; c++) {
        const DlccJ2kComp *cp = &j->comp[c];
        for (int r = 0; r <= cp->levels; r++)
            for (int b = 0; b < (r ? 3 : 1); b++) {
                DlccJ2kBand *bd = dlcc_j2k_band(j, c, r, b);
                for (int32_t y = 0; y < bd->ch; y++)
                    for (int32_t x = 0; x < bd->cw; x++) {
                        DlccJ2kCb *cb = j->cbs + bd->cb + y * bd->cw + x;
                        int64_t gx = ((int64_t)(bd->x0 >> bd->xcb) + x) << bd->xcb;
                        int64_t gy = ((int64_t)(bd->y0 >> bd->ycb) + y) << bd->ycb;
                        cb->x0 = (int32_t)(gx > bd->x0 ? gx : bd->x0), cb->y0 = (int32_t)(gy > bd->y0 ? gy : bd->y0);
                        gx += (int64_t)1 << bd->xcb, gy += (int64_t)1 << bd->ycb;
                        cb->x1 = (int32_t)(gx < bd->x1 ? gx : bd->x1), cb->y1 = (int32_t)(gy < bd->y1 ? gy : bd->y1);
                        cb->numbps = cb->passes = cb->seen = 0, cb->lblock = 3, cb->seg = cb->last = -1;
                    }
                /* each precinct's share of the band: whole code-blocks (precinct edges are multiples of theirs) */
                int ppx = cp->ppx[r] - (r > 0), ppy = cp->ppy[r] - (r > 0);
                for (int64_t pr = 0; pr < j->pw[c][r] * j->ph[c][r]; pr++) {
                    int32_t *pb = j->pb + 6 * ((j->pbase[c][r] + pr) * 3 + b);
                    int64_t px0 = ((j->rx0[c][r] >> cp->ppx[r]) + pr % j->pw[c][r]) << ppx;
                    int64_t py0 = ((j->ry0[c][r] >> cp->ppy[r]) + pr / j->pw[c][r]) << ppy;
                    int64_t px1 = px0 + ((int64_t)1 << ppx), py1 = py0 + ((int64_t)1 << ppy);
                    px0 = px0 > bd->x0 ? px0 : bd->x0, py0 = py0 > bd->y0 ? py0 : bd->y0;
                    px1 = px1 < bd->x1 ? px1 : bd->x1, py1 = py1 < bd->y1 ? py1 : bd->y1;
                    pb[0] = pb[1] = pb[2] = pb[3] = 0;
                    if (px0 < px1 && py0 < py1) {
                        pb[0] = (int32_t)((px0 >> bd->xcb) - (bd->x0 >> bd->xcb));
                        pb[1] = (int32_t)((py0 >> bd->ycb) - (bd->y0 >> bd->ycb));
                        pb[2] = (int32_t)(dlcc_j2k_ceil(px1, bd->xcb) - (px0 >> bd->xcb));
                        pb[3] = (int32_t)(dlcc_j2k_ceil(py1, bd->ycb) - (py0 >> bd->ycb));
                        for (int64_t tw = pb[2], th = pb[3];; tw = (tw + 1) / 2, th = (th + 1) / 2) {
                            cap += 2 * tw * th;
                            if (tw == 1 && th == 1)
                                break;
                        }
                    }
                }
            }
    }
    j->tval = (int32_t *)dlcc_j2k_alloc(j, cap * 4), j->tlow = (int32_t *)dlcc_j2k_alloc(j, cap * 4);
    j->tpar = (int32_t *)dlcc_j2k_alloc(j, cap * 4);
    if (cap > 0x7fffffff || !j->tval || !j->tlow || !j->tpar)
        return DLCC_IMG_EARG;
    j->ntree = 0;
    for (int64_t k = 0; k < npb * 3; k++) {
        int32_t *pb = j->pb + 6 * k;
        if ((pb[4] = dlcc_j2k_tree(j, pb[2], pb[3], (int32_t)cap)) < 0 ||
            (pb[5] = dlcc_j2k_tree(j, pb[2], pb[3], (int32_t)cap)) < 0)
            return DLCC_IMG_EARG;
    }
    j->maxseg = (j->ws_size - j->top) / 32 - 8;
    if (j->maxseg <= 0 || !(j->segs = (int64_t *)dlcc_j2k_alloc(j, j->maxseg * 24)))
        return DLCC_IMG_EARG;
    j->nseg = 0;
    /* tier 2 */
    j->pos = pos, j->end = end;
    int maxr = 0, rc = 0;
    for (int c = 0; c < j->nc; c++)
        if (j->comp[c].levels + 1 > maxr)
            maxr = j->comp[c].levels + 1;
    if (j->order <= 1) { /* LRCP, RLCP */
        for (int a = 0; a < (j->order == 0 ? j->layers : maxr) && !rc; a++)
            for (int b = 0; b < (j->order == 0 ? maxr : j->layers) && !rc; b++)
                for (int c = 0; c < j->nc && !rc; c++) {
                    int r = j->order == 0 ? b : a, l = j->order == 0 ? a : b;
                    if (r > j->comp[c].levels)
                        continue;
                    for (int64_t pr = 0; pr < j->pw[c][r] * j->ph[c][r] && !rc; pr++)
                        rc = dlcc_j2k_packet(j, c, r, pr, l);
                }
    } else { /* RPCL, PCRL, CPRL: positions on the tile's grid, as OpenJPEG steps them */
        int64_t dx = (int64_t)1 << 62, dy = (int64_t)1 << 62;
        for (int c = 0; c < j->nc; c++)
            for (int r = 0; r <= j->comp[c].levels; r++) {
                int lv = j->comp[c].levels - r;
                if (j->comp[c].ppx[r] + lv < 62 && ((int64_t)1 << (j->comp[c].ppx[r] + lv)) < dx)
                    dx = (int64_t)1 << (j->comp[c].ppx[r] + lv);
                if (j->comp[c].ppy[r] + lv < 62 && ((int64_t)1 << (j->comp[c].ppy[r] + lv)) < dy)
                    dy = (int64_t)1 << (j->comp[c].ppy[r] + lv);
            }
        int n1 = j->order == 2 ? maxr : j->order == 3 ? 1 : j->nc;
        for (int o1 = 0; o1 < n1 && !rc; o1++)
            for (int64_t y = ty0; y < ty1 && !rc; y += dy - (y % dy))
                for (int64_t x = tx0; x < tx1 && !rc; x += dx - (x % dx))
                    for (int o2 = 0; o2 < (j->order == 2 ? j->nc : j->order == 3 ? j->nc * maxr : maxr) && !rc; o2++) {
                        int c = j->order == 2 ? o2 : j->order == 3 ? o2 / maxr : o1;
                        int r = j->order == 2 ? o1 : j->order == 3 ? o2 % maxr : o2;
                        const DlccJ2kComp *cp = &j->comp[c];
                        if (r > cp->levels || !j->pw[c][r] || !j->ph[c][r])
                            continue;
                        int lv = cp->levels - r, rpx = cp->ppx[r] + lv, rpy = cp->ppy[r] + lv;
                        if (rpx > 61 || rpy > 61)
                            return DLCC_IMG_EARG;
                        if (!(y % ((int64_t)1 << rpy) == 0 || (y == ty0 && (j->ry0[c][r] << lv) % ((int64_t)1 << rpy))))
                            continue;
                        if (!(x % ((int64_t)1 << rpx) == 0 || (x == tx0 && (j->rx0[c][r] << lv) % ((int64_t)1 << rpx))))
                            continue;
                        int64_t pi = (dlcc_j2k_ceil(x, lv) >> cp->ppx[r]) - (j->rx0[c][r] >> cp->ppx[r]);
                        int64_t pj = (dlcc_j2k_ceil(y, lv) >> cp->ppy[r]) - (j->ry0[c][r] >> cp->ppy[r]);
                        if (pi < 0 || pi >= j->pw[c][r] || pj < 0 || pj >= j->ph[c][r])
                            continue;
                        int64_t pr = pi + pj * j->pw[c][r];
                        if (j->done[j->pbase[c][r] + pr])
                            continue;
                        j->done[j->pbase[c][r] + pr] = 1;
                        for (int l = 0; l < j->layers && !rc; l++)
                            rc = dlcc_j2k_packet(j, c, r, pr, l);
                    }
    }
    if (rc)
        return rc;
    /* tier 1: gather each code-block's bytes (the space after the segments) */
    int64_t scratch_at = j->top;
    for (int c = 0; c < j->nc; c++) {
        const DlccJ2kComp *cp = &j->comp[c];
        for (int r = 0; r <= cp->levels; r++)
            for (int b = 0; b < (r ? 3 : 1); b++) {
                DlccJ2kBand *bd = dlcc_j2k_band(j, c, r, b);
                for (int32_t q = 0; q < bd->cw * bd->ch; q++) {
                    DlccJ2kCb *cb = j->cbs + bd->cb + q;
                    if (!cb->seen || cb->passes == 0)
                        continue;
                    if (cb->numbps > 30)
                        return DLCC_IMG_EARG;
                    int64_t len = 0;
                    for (int64_t s = cb->seg; s >= 0; s = j->segs[3 * s + 2])
                        len += j->segs[3 * s + 1];
                    j->top = scratch_at;
                    uint8_t *buf = (uint8_t *)dlcc_j2k_alloc(j, len + 2);
                    if (!buf)
                        return DLCC_IMG_EARG;
                    len = 0;
                    for (int64_t s = cb->seg; s >= 0; s = j->segs[3 * s + 2]) {
                        memcpy(buf + len, j->d + j->segs[3 * s], (size_t)j->segs[3 * s + 1]);
                        len += j->segs[3 * s + 1];
                    }
                    int64_t at = (int64_t)(cb->y0 - bd->y0 + bd->yoff) * w + (cb->x0 - bd->x0 + bd->xoff);
                    dlcc_j2k_block(t1, buf, len, cb->x1 - cb->x0, cb->y1 - cb->y0, bd->orient, cb->numbps, cb->passes,
                                   plane[c] ? plane[c] + at : NULL, fplane[c] ? fplane[c] + at : NULL, bd->step, w);
                }
            }
        /* inverse DWT, level by level: rows then columns */
        for (int r = 1; r <= cp->levels; r++) {
            int rw = (int)(j->rx1[c][r] - j->rx0[c][r]), rh = (int)(j->ry1[c][r] - j->ry0[c][r]);
            int sw = (int)(j->rx1[c][r - 1] - j->rx0[c][r - 1]), sh = (int)(j->ry1[c][r - 1] - j->ry0[c][r - 1]);
            if (fplane[c]) {
                for (int y = 0; y < rh; y++)
                    dlcc_j2k_idwt97(fplane[c] + y * w, 1, sw, rw - sw, (int)(j->rx0[c][r] & 1), ftmp);
                for (int x = 0; x < rw; x++)
                    dlcc_j2k_idwt97(fplane[c] + x, w, sh, rh - sh, (int)(j->ry0[c][r] & 1), ftmp);
                continue;
            }
            for (int y = 0; y < rh; y++)
                dlcc_j2k_idwt1(plane[c] + y * w, 1, sw, rw - sw, (int)(j->rx0[c][r] & 1), tmp);
            for (int x = 0; x < rw; x++)
                dlcc_j2k_idwt1(plane[c] + x, w, sh, rh - sh, (int)(j->ry0[c][r] & 1), tmp);
        }
    }
    /* colour, level shift, output */
    int anyf = 0;
    for (int c = 0; c < j->nc; c++)
        anyf |= !j->comp[c].rev;
    for (int64_t y = 0; y < h; y++)
        for (int64_t x = 0; x < w; x++) {
            int64_t k = y * w + x;
            int64_t v[4];
            if (anyf) { /* 9/7: floats, the ICT, OpenJPEG's rounding */
                float f[4];
                for (int c = 0; c < j->nc; c++)
                    f[c] = fplane[c] ? fplane[c][k] : (float)plane[c][k];
                if (j->mct && j->nc >= 3) {
                    float yy = f[0], u = f[1], vv = f[2];
                    float rv = vv * 1.402f, gu = u * 0.34413f, gv = vv * 0.71414f, bu = u * 1.772f;
                    float g = yy - gu;
                    f[0] = yy + rv, f[1] = g - gv, f[2] = yy + bu;
                }
                for (int c = 0; c < j->nc; c++)
                    v[c] = fplane[c] || j->mct ? dlcc_j2k_round(f[c]) : (plane[c][k] + 128 < 0 ? 0 : plane[c][k] + 128 > 255 ? 255 : plane[c][k] + 128);
                if (j->nc < 3)
                    v[1] = v[2] = v[0];
                dlcc_img_put(o, ty0 - j->y0 + y, tx0 - j->x0 + x, (int)v[0], (int)v[1], (int)v[2]);
                continue;
            }
            for (int c = 0; c < j->nc; c++)
                v[c] = plane[c][k];
            if (j->mct && j->nc >= 3) {
                int64_t g = (int32_t)(v[0] - ((v[1] + v[2]) >> 2));
                v[0] = (int32_t)(v[2] + g), v[2] = (int32_t)(v[1] + g), v[1] = g;
            }
            for (int c = 0; c < j->nc; c++)
                v[c] = v[c] + 128 < 0 ? 0 : v[c] + 128 > 255 ? 255 : v[c] + 128;
            if (j->nc < 3)
                v[1] = v[2] = v[0];
            dlcc_img_put(o, ty0 - j->y0 + y, tx0 - j->x0 + x, (int)v[0], (int)v[1], (int)v[2]);
        }
    return 0;
}

/* the codestream d[0, n): FF4F FF51 ... */
DLCC_RT_FN int dlcc_img_j2k_cs(const uint8_t *d, int64_t n, const DlccImgOut *o, uint8_t *ws, int64_t ws_size) {
    if (ws_size < (int64_t)sizeof(DlccJ2k) + 64)
        return DLCC_IMG_EARG;
    DlccJ2k *j = (DlccJ2k *)(void *)ws;
    memset(j, 0, sizeof *j);
    j->d = d, j->n = n, j->ws = ws, j->ws_size = ws_size, j->top = (int64_t)sizeof(DlccJ2k);
    if (n < 4 || d[0] != 0xff || d[1] != 0x4f)
        return DLCC_IMG_EARG;
    int64_t pos = 2, ntiles = 0, next_tile = 0, base;
    int have_siz = 0, have_cod = 0, have_qcd = 0, coc[4] = {0}, qcc[4] = {0};
    for (;;) {
        if (n - pos < 4 || d[pos] != 0xff)
            return DLCC_IMG_EARG;
        int mk = d[pos + 1];
        int64_t len = dlcc_img_be16(d + pos + 2);
        if (len < 2 || len > n - pos - 2)
            return DLCC_IMG_EARG;
        const uint8_t *s = d + pos + 4;
        int64_t sl = len - 2;
        if (mk == 0x90)
            break;
        if (mk == 0x51) { /* SIZ */
            if (have_siz || sl < 36 + 3)
                return DLCC_IMG_EARG;
            j->x1 = dlcc_img_be32(s + 2), j->y1 = dlcc_img_be32(s + 6), j->x0 = dlcc_img_be32(s + 10);
            j->y0 = dlcc_img_be32(s + 14), j->tw = dlcc_img_be32(s + 18), j->th = dlcc_img_be32(s + 22);
            j->tx0 = dlcc_img_be32(s + 26), j->ty0 = dlcc_img_be32(s + 30);
            j->nc = (int)dlcc_img_be16(s + 34);
            if (j->nc < 1 || j->nc > 4 || sl < 36 + 3 * j->nc)
                return DLCC_IMG_EARG;
            for (int c = 0; c < j->nc; c++)
                if (s[36 + 3 * c] != 7 || s[37 + 3 * c] != 1 || s[38 + 3 * c] != 1)
                    return DLCC_IMG_EARG; /* 8-bit unsigned, not subsampled */
            if (j->x0 >= j->x1 || j->y0 >= j->y1 || j->tw == 0 || j->th == 0 || j->tx0 > j->x0 || j->ty0 > j->y0 ||
                j->tx0 + j->tw <= j->x0 || j->ty0 + j->th <= j->y0 || j->x1 > 0x7fffffff || j->y1 > 0x7fffffff)
                return DLCC_IMG_EARG;
            if (j->x1 - j->x0 != o->w || j->y1 - j->y0 != o->h)
                return DLCC_IMG_ESHAPE;
            ntiles = ((j->x1 - j->tx0 + j->tw - 1) / j->tw) * ((j->y1 - j->ty0 + j->th - 1) / j->th);
            have_siz = 1;
        } else if (mk == 0x52 || mk == 0x53) { /* COD, COC */
            if (!have_siz)
                return DLCC_IMG_EARG;
            int c = 0, scod;
            if (mk == 0x52) {
                if (sl < 10)
                    return DLCC_IMG_EARG;
                scod = s[0];
                j->order = s[1], j->layers = (int)dlcc_img_be16(s + 2), j->mct = s[4];
                j->sop = (scod >> 1) & 1, j->eph = (scod >> 2) & 1;
                if (j->order > 4 || j->layers < 1 || j->mct > 1 || (j->mct && j->nc < 3))
                    return DLCC_IMG_EARG;
                s += 5, sl -= 5;
                have_cod = 1;
            } else {
                if (sl < 7 || (c = s[0]) >= j->nc)
                    return DLCC_IMG_EARG;
                scod = s[1], s += 2, sl -= 2;
                coc[c] = 1;
            }
            DlccJ2kComp cp;
            memset(&cp, 0, sizeof cp);
            cp.levels = s[0], cp.xcb = s[1] + 2, cp.ycb = s[2] + 2, cp.style = s[3], cp.rev = s[4];
            if (cp.levels > 32 || cp.xcb > 10 || cp.ycb > 10 || cp.xcb + cp.ycb > 12 || cp.style || cp.rev > 1)
                return DLCC_IMG_EARG;
            for (int r = 0; r <= cp.levels; r++)
                cp.ppx[r] = cp.ppy[r] = 15;
            if (scod & 1) { /* explicit precinct sizes */
                if (sl < 5 + cp.levels + 1)
                    return DLCC_IMG_EARG;
                for (int r = 0; r <= cp.levels; r++) {
                    cp.ppx[r] = s[5 + r] & 15, cp.ppy[r] = s[5 + r] >> 4;
                    if (r && (!cp.ppx[r] || !cp.ppy[r]))
                        return DLCC_IMG_EARG;
                }
            }
            for (int k = 0; k < j->nc; k++)
                if (mk == 0x53 ? k == c : !coc[k]) {
                    j->comp[k].levels = cp.levels, j->comp[k].xcb = cp.xcb, j->comp[k].ycb = cp.ycb;
                    j->comp[k].style = cp.style, j->comp[k].rev = cp.rev;
                    memcpy(j->comp[k].ppx, cp.ppx, sizeof cp.ppx), memcpy(j->comp[k].ppy, cp.ppy, sizeof cp.ppy);
                }
        } else if (mk == 0x5c || mk == 0x5d) { /* QCD, QCC */
            if (!have_siz)
                return DLCC_IMG_EARG;
            int c = 0;
            if (mk == 0x5d) {
                if (sl < 1 || (c = s[0]) >= j->nc)
                    return DLCC_IMG_EARG;
                s++, sl--;
                qcc[c] = 1;
            }
            int qs = s[0] & 0x1f;
            if (sl < 2 || qs > 2 || (qs == 0 && sl - 1 > 97) || (qs == 1 && sl < 3) || (qs == 2 && sl - 1 > 2 * 97))
                return DLCC_IMG_EARG;
            for (int k = 0; k < j->nc; k++)
                if (mk == 0x5d ? k == c : !qcc[k]) {
                    DlccJ2kComp *q = &j->comp[k];
                    q->guard = s[0] >> 5, q->qstyle = qs;
                    memset(q->expn, 0, sizeof q->expn), memset(q->mant, 0, sizeof q->mant);
                    if (qs == 0) {
                        for (int64_t e = 0; e < sl - 1; e++)
                            q->expn[e] = (uint8_t)(s[1 + e] >> 3);
                        q->expn[99] = (uint8_t)(sl - 1); /* how many */
                    } else if (qs == 1) { /* derived from the LL band's */
                        int e0 = (int)(dlcc_img_be16(s + 1) >> 11);
                        for (int e = 0; e < 97; e++) {
                            int x = e ? e0 - (e - 1) / 3 : e0;
                            q->expn[e] = (uint8_t)(x > 0 ? x : 0), q->mant[e] = (uint16_t)(dlcc_img_be16(s + 1) & 0x7ff);
                        }
                        q->expn[99] = 97;
                    } else {
                        for (int64_t e = 0; e < (sl - 1) / 2; e++)
                            q->expn[e] = (uint8_t)(dlcc_img_be16(s + 1 + 2 * e) >> 11),
                            q->mant[e] = (uint16_t)(dlcc_img_be16(s + 1 + 2 * e) & 0x7ff);
                        q->expn[99] = (uint8_t)((sl - 1) / 2);
                    }
                }
            have_qcd = 1;
        } else if (mk == 0x5e || mk == 0x5f || mk == 0x60 || mk == 0x61) {
            return DLCC_IMG_EARG; /* RGN, POC, PPM */
        }
        pos += 2 + len;
    }
    if (!have_siz || !have_cod || !have_qcd)
        return DLCC_IMG_EARG;
    if (j->mct && (j->comp[0].rev != j->comp[1].rev || j->comp[0].rev != j->comp[2].rev))
        return DLCC_IMG_EARG; /* the RCT or the ICT, not a mix */
    for (int c = 0; c < j->nc; c++)
        if (j->comp[c].expn[99] < 3 * j->comp[c].levels + 1)
            return DLCC_IMG_EARG;
    base = j->top;
    /* tile-parts, one per tile, in order */
    while (n - pos >= 2 && d[pos] == 0xff && d[pos + 1] == 0x90) {
        if (n - pos < 12 || dlcc_img_be16(d + pos + 2) != 10)
            return DLCC_IMG_EARG;
        int64_t isot = dlcc_img_be16(d + pos + 4), psot = dlcc_img_be32(d + pos + 6);
        int tpsot = d[pos + 10], tnsot = d[pos + 11];
        if (isot != next_tile || tpsot != 0 || tnsot > 1)
            return DLCC_IMG_EARG;
        int64_t end = psot ? pos + psot : n;
        if (psot && (psot < 14 || psot > n - pos))
            return DLCC_IMG_EARG;
        if (!psot && n - pos >= 14 && d[n - 2] == 0xff && d[n - 1] == 0xd9)
            end = n - 2;
        int64_t q = pos + 12;
        for (;;) {
            if (end - q < 2 || d[q] != 0xff)
                return DLCC_IMG_EARG;
            int mk = d[q + 1];
            if (mk == 0x93) {
                q += 2;
                break;
            }
            if (end - q < 4)
                return DLCC_IMG_EARG;
            int64_t len = dlcc_img_be16(d + q + 2);
            if (len < 2 || len > end - q - 2)
                return DLCC_IMG_EARG;
            if (mk == 0x52 || mk == 0x53 || mk == 0x5c || mk == 0x5d || mk == 0x5e || mk == 0x5f || mk == 0x61)
                return DLCC_IMG_EARG; /* tile-specific coding parameters */
            q += 2 + len;
        }
        int rc = dlcc_j2k_tile(j, isot, q, end, o, base);
        if (rc)
            return rc;
        next_tile++;
        pos = end;
    }
    return next_tile == ntiles ? 0 : DLCC_IMG_EARG;
}

/* a JP2 file: boxes; the codestream is the jp2c box */
DLCC_RT_FN int dlcc_img_j2k(const uint8_t *d, int64_t n, const DlccImgOut *o, uint8_t *ws, int64_t ws_size) {
    if (n >= 4 && d[0] == 0xff && d[1] == 0x4f)
        return dlcc_img_j2k_cs(d, n, o, ws, ws_size);
    int64_t pos = 0;
    while (n - pos >= 8) {
        int64_t len = dlcc_img_be32(d + pos), hdr = 8;
        if (len == 1) {
            if (n - pos < 16 || dlcc_img_be32(d + pos + 8))
                return DLCC_IMG_EARG;
            len = dlcc_img_be32(d + pos + 12), hdr = 16;
        } else if (len == 0) {
            len = n - pos;
        }
        if (len < hdr || len > n - pos)
            return DLCC_IMG_EARG;
        if (!memcmp(d + pos + 4, "jp2c", 4))
            return dlcc_img_j2k_cs(d + pos + hdr, len - hdr, o, ws, ws_size);
        pos += len;
    }
    return DLCC_IMG_EARG;
}

/* ---------------------------------------------------------------- entry */

DLCC_RT_FN int dlcc_img_decode(const uint8_t *d, int64_t n, uint8_t *out, int64_t h, int64_t w, int fmt, uint8_t *ws,
                               int64_t ws_size) {
    DlccImgOut o = {out, h, w, fmt};
    if (!d || n < 8)
        return DLCC_IMG_EARG;
    if (d[0] == 'B' && d[1] == 'M')
        return dlcc_img_bmp(d, n, &o);
    if (d[0] == 'P' && (d[1] == '4' || d[1] == '5' || d[1] == '6'))
        return dlcc_img_pnm(d, n, &o);
    if ((d[0] == 'I' && d[1] == 'I' && d[2] == 42 && d[3] == 0) || (d[0] == 'M' && d[1] == 'M' && d[2] == 0 && d[3] == 42))
        return dlcc_img_tiff(d, n, &o);
    if (!memcmp(d, "\x89PNG\r\n\x1a\n", 8))
        return dlcc_img_png(d, n, &o, ws, ws_size);
    if (d[0] == 0xFF && d[1] == 0xD8)
        return dlcc_img_jpeg(d, n, &o, ws, ws_size);
    if (!memcmp(d, "RIFF", 4))
        return dlcc_img_webp(d, n, &o, ws, ws_size);
    if ((d[0] == 0xff && d[1] == 0x4f && d[2] == 0xff && d[3] == 0x51) || (n >= 12 && !memcmp(d, "\0\0\0\x0cjP  \r\n\x87\n", 12)))
        return dlcc_img_j2k(d, n, &o, ws, ws_size);
    return DLCC_IMG_EARG; /* GIF...: not supported */
}

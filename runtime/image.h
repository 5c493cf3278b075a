/*
 * image.h: the ImageDecoder kernel's decoders (codegen/emit_image.c).
 *
 * dlcc_img_decode(data, n, out, H, W, fmt, ws, ws_size) looks at the
 * file's signature and decodes BMP, PNM (P4/P5/P6), TIFF (uncompressed),
 * PNG (every colour type, bit depths 1-16, Adam7; its own inflate) or
 * Huffman-coded JPEG (baseline, extended or progressive) into
 * out[H][W][C], C = 3 (fmt 0 RGB, 1 BGR) or 1 (fmt 2, Grayscale).  The
 * results are those of Pillow 9.4 (libjpeg-turbo 2.1): convert("RGB") /
 * convert("L"), L = (R*19595 + G*38470 + B*7471 + 0x8000) >> 16.  JPEG
 * follows libjpeg-turbo's default decoding to the bit: jidctint.c's islow
 * IDCT with its range-limit table, jdsample.c's fancy (triangle)
 * upsampling, jdcolor.c's YCbCr tables; progressive scans (jdphuff.c) fill
 * a coefficient buffer that is transformed once every scan is read (no
 * block smoothing then, as in libjpeg).
 *
 * It returns 0, -DLCC_ERR_SHAPE when the image is not H x W, or
 * -DLCC_ERR_ARG for malformed or unsupported data (arithmetic-coded or
 * lossless JPEG, WebP, JPEG 2000, compressed TIFF...).  It never reads
 * outside data[0, n) and never writes outside out and ws[0, ws_size); all
 * memory comes from
 * ws: DLCC_IMG_STATE + max(n + H * (8W + 8) + 64, 9 (W + 32)(H + 32) +
 * 4 (W + 32)) bytes (codegen/emit_image.c requests exactly that).
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
    return DLCC_IMG_EARG; /* WebP, JPEG 2000, GIF...: not supported */
}

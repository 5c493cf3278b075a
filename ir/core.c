/*
 * core.c: the arena, text buffers, diagnostics and dtype facts.
 *
 * The arena hands out zeroed 16-byte-aligned blocks from large chunks and
 * frees them all at once; large requests get a chunk of their own.
 * Diagnostics are kept in order in the Ctx and printed by diag_print in
 * compiler style, with the source line and a caret for .dl files.
 * data_get_f64/data_set_f64 convert every numeric storage type (the float8
 * and e8m0 ones through runtime/half.h, the very code generated programs
 * use, so constant folding and run time agree).
 */
#include "ir.h"

#include "../runtime/half.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void dlcc_assert_fail(const char *expr, const char *file, int line) {
    fprintf(stderr, "%s:%d: internal error: assertion failed: %s\n", file, line, expr);
    abort();
}

/* ---------------------------------------------------------------- arena */

struct ArenaBlock {
    ArenaBlock *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

enum { ARENA_CHUNK = 1 << 20 };

Arena *arena_new(void) {
    Arena *a = calloc(1, sizeof *a);
    DLCC_ASSERT(a);
    return a;
}

void arena_free(Arena *a) {
    if (!a)
        return;
    for (ArenaBlock *b = a->head, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(a);
}

void *arena_alloc(Arena *a, size_t size) {
    size = (size + 15) & ~(size_t)15;
    if (size == 0)
        size = 16;
    ArenaBlock *b = a->head;
    if (!b || b->cap - b->used < size) {
        size_t cap = size > ARENA_CHUNK / 4 ? size : ARENA_CHUNK;
        ArenaBlock *nb = malloc(sizeof *nb + cap);
        DLCC_ASSERT(nb);
        nb->used = 0;
        nb->cap = cap;
        if (cap == size && b) { /* big block: keep the current chunk on top */
            nb->next = b->next;
            b->next = nb;
            memset(nb->data, 0, size);
            nb->used = size;
            return nb->data;
        }
        nb->next = b;
        a->head = b = nb;
    }
    void *p = b->data + b->used;
    b->used += size;
    memset(p, 0, size);
    return p;
}

char *arena_strndup(Arena *a, const char *s, size_t n) {
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *arena_strdup(Arena *a, const char *s) { return s ? arena_strndup(a, s, strlen(s)) : NULL; }

void *arena_memdup(Arena *a, const void *p, size_t n) {
    void *q = arena_alloc(a, n);
    if (n)
        memcpy(q, p, n);
    return q;
}

char *arena_printf(Arena *a, const char *fmt, ...) {
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *p = arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return p;
}

/* ---------------------------------------------------------------- buffers */

static void buf_reserve(Buf *b, size_t extra) {
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    b->data = realloc(b->data, cap);
    DLCC_ASSERT(b->data);
    b->cap = cap;
}

void buf_vprintf(Buf *b, const char *fmt, va_list ap) {
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    buf_reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    b->len += (size_t)n;
}

void buf_printf(Buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void buf_write(Buf *b, const void *p, size_t n) {
    buf_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
}

void buf_puts(Buf *b, const char *s) { buf_write(b, s, strlen(s)); }

void buf_free(Buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* ---------------------------------------------------------------- diagnostics */

void ctx_init(Ctx *c) {
    memset(c, 0, sizeof *c);
    c->arena = arena_new();
    c->diag_tail = &c->diags;
    c->opt_level = 2;
}

void ctx_free(Ctx *c) {
    for (Diag *d = c->diags, *next; d; d = next) {
        next = d->next;
        free(d->msg);
        free(d);
    }
    arena_free(c->arena);
    c->arena = NULL;
}

static void diag_add(Ctx *c, Loc loc, bool warning, const char *fmt, va_list ap) {
    Diag *d = calloc(1, sizeof *d);
    DLCC_ASSERT(d);
    Buf b = {0};
    buf_vprintf(&b, fmt, ap);
    d->msg = b.data;
    d->loc = loc;
    d->warning = warning;
    *c->diag_tail = d;
    c->diag_tail = &d->next;
    if (!warning)
        c->n_errors++;
}

bool diag_error(Ctx *c, Loc loc, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    diag_add(c, loc, false, fmt, ap);
    va_end(ap);
    return false;
}

void diag_warning(Ctx *c, Loc loc, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    diag_add(c, loc, true, fmt, ap);
    va_end(ap);
}

/* The text of line `line` (1-based) of src, without its newline. */
static const char *source_line(const char *src, int line, int *len) {
    const char *p = src;
    for (int l = 1; l < line && *p; p++)
        if (*p == '\n')
            l++;
    const char *e = p;
    while (*e && *e != '\n')
        e++;
    *len = (int)(e - p);
    return p;
}

void diag_print(const Ctx *c, FILE *f) {
    for (const Diag *d = c->diags; d; d = d->next) {
        const Loc *l = &d->loc;
        const char *kind = d->warning ? "warning" : "error";
        const char *file = l->file ? l->file : (c->source_file ? c->source_file : "dlcc");
        if (l->line > 0)
            fprintf(f, "%s:%d:%d: %s: %s\n", file, l->line, l->col, kind, d->msg);
        else if (l->node_name || l->op_type)
            fprintf(f, "%s: node '%s' (%s): %s: %s\n", file, l->node_name ? l->node_name : "",
                    l->op_type ? l->op_type : "?", kind, d->msg);
        else
            fprintf(f, "%s: %s: %s\n", file, kind, d->msg);
        if (l->line > 0 && c->source_text && (!l->file || !c->source_file || !strcmp(l->file, c->source_file))) {
            int len;
            const char *s = source_line(c->source_text, l->line, &len);
            fprintf(f, "%.*s\n", len, s);
            for (int i = 1; i < l->col && i <= len; i++)
                fputc(s[i - 1] == '\t' ? '\t' : ' ', f);
            fputs("^\n", f);
        }
    }
}

/* ---------------------------------------------------------------- dtypes */

static const struct {
    const char *name, *ctype, *compute;
    size_t size;
} dtypes[DT_COUNT] = {
    [DT_F32] = {"f32", "float", "float", 4},
    [DT_U8] = {"u8", "uint8_t", "uint8_t", 1},
    [DT_I8] = {"i8", "int8_t", "int8_t", 1},
    [DT_U16] = {"u16", "uint16_t", "uint16_t", 2},
    [DT_I16] = {"i16", "int16_t", "int16_t", 2},
    [DT_I32] = {"i32", "int32_t", "int32_t", 4},
    [DT_I64] = {"i64", "int64_t", "int64_t", 8},
    [DT_STRING] = {"string", "dlcc_str", "dlcc_str", sizeof(const char *)}, /* a pointer per element */
    [DT_BOOL] = {"bool", "uint8_t", "uint8_t", 1},
    [DT_F16] = {"f16", "uint16_t", "float", 2},
    [DT_F64] = {"f64", "double", "double", 8},
    [DT_U32] = {"u32", "uint32_t", "uint32_t", 4},
    [DT_U64] = {"u64", "uint64_t", "uint64_t", 8},
    [DT_C64] = {"c64", "float", "float", 8},
    [DT_C128] = {"c128", "double", "double", 16},
    [DT_BF16] = {"bf16", "uint16_t", "float", 2},
    [DT_F8E4M3FN] = {"f8e4m3fn", "uint8_t", "float", 1},
    [DT_F8E4M3FNUZ] = {"f8e4m3fnuz", "uint8_t", "float", 1},
    [DT_F8E5M2] = {"f8e5m2", "uint8_t", "float", 1},
    [DT_F8E5M2FNUZ] = {"f8e5m2fnuz", "uint8_t", "float", 1},
    [DT_U4] = {"u4", "uint8_t", "int32_t", 1},
    [DT_I4] = {"i4", "int8_t", "int32_t", 1},
    [DT_F4E2M1] = {"f4e2m1", "uint8_t", "float", 1},
    [DT_F8E8M0] = {"f8e8m0", "uint8_t", "float", 1},
    [DT_U2] = {"u2", "uint8_t", "int32_t", 1},
    [DT_I2] = {"i2", "int8_t", "int32_t", 1},
};

const char *dtype_name(DType t) { return t > 0 && t < DT_COUNT && dtypes[t].name ? dtypes[t].name : "?"; }

DType dtype_from_name(const char *s) {
    for (int t = 1; t < DT_COUNT; t++)
        if (dtypes[t].name && !strcmp(dtypes[t].name, s))
            return (DType)t;
    return DT_UNDEF;
}

size_t dtype_size(DType t) { return t > 0 && t < DT_COUNT ? dtypes[t].size : 0; }
const char *dtype_ctype(DType t) { return t > 0 && t < DT_COUNT ? dtypes[t].ctype : "void"; }
const char *dtype_ctype_compute(DType t) { return t > 0 && t < DT_COUNT ? dtypes[t].compute : "void"; }

bool dtype_is_float(DType t) {
    switch (t) {
    case DT_F16: case DT_BF16: case DT_F32: case DT_F64:
    case DT_F8E4M3FN: case DT_F8E4M3FNUZ: case DT_F8E5M2: case DT_F8E5M2FNUZ: case DT_F4E2M1:
    case DT_F8E8M0:
        return true;
    default:
        return false;
    }
}

bool dtype_is_int(DType t) {
    switch (t) {
    case DT_U8: case DT_I8: case DT_U16: case DT_I16: case DT_I32: case DT_I64:
    case DT_U32: case DT_U64: case DT_U4: case DT_I4: case DT_U2: case DT_I2:
        return true;
    default:
        return false;
    }
}

bool dtype_is_signed(DType t) {
    return t == DT_I8 || t == DT_I16 || t == DT_I32 || t == DT_I64 || t == DT_I4 || t == DT_I2 ||
           (dtype_is_float(t) && t != DT_F8E8M0);
}

/* ---------------------------------------------------------------- f16 / bf16 */

float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal: normalise */
            exp = 127 - 15 + 1;
            while (!(man & 0x400)) {
                man <<= 1;
                exp--;
            }
            man &= 0x3ff;
            bits = sign | (exp << 23) | (man << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t float_to_half(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000, exp = (x >> 23) & 0xff, man = x & 0x7fffff;
    if (exp == 0xff)
        return (uint16_t)(sign | 0x7c00 | (man ? 0x200 : 0));
    int e = (int)exp - 127 + 15;
    if (e >= 31)
        return (uint16_t)(sign | 0x7c00);
    if (e <= 0) {
        if (e < -10)
            return (uint16_t)sign;
        man |= 0x800000;
        int shift = 14 - e;
        uint32_t h = man >> shift, rem = man & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (h & 1)))
            h++;
        return (uint16_t)(sign | h);
    }
    uint32_t h = ((uint32_t)e << 10) | (man >> 13), rem = man & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1)))
        h++;
    return (uint16_t)(sign | h);
}

float bf16_to_float(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t float_to_bf16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7fffffff) > 0x7f800000)
        return (uint16_t)((x >> 16) | 0x40);
    x += 0x7fff + ((x >> 16) & 1);
    return (uint16_t)(x >> 16);
}

/* float4 e2m1 (unpacked, one code per byte): sign, 2 exponent bits, 1
 * mantissa bit; no inf or NaN. */
static float f4e2m1_to_float(uint8_t v) {
    static const float mag[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};
    return (v & 8) ? -mag[v & 7] : mag[v & 7];
}

/* Round to nearest even, saturating; NaN becomes 8 (-0) like runtime/math.h. */
static uint8_t float_to_f4e2m1(float x) {
    if (x != x)
        return 8;
    uint8_t sign = signbit(x) ? 8 : 0;
    float a = fabsf(x);
    static const float mag[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};
    uint8_t best = 7;
    for (uint8_t k = 0; k < 7; k++) {
        float mid = 0.5f * (mag[k] + mag[k + 1]);
        if (a < mid || (a == mid && !(k & 1))) {
            best = k;
            break;
        }
    }
    return (uint8_t)(best | sign);
}

/* Wraps x to a `bits`-wide two's complement (sign) or unsigned integer. */
static int64_t wrap_bits(double x, int bits, bool sign) {
    int64_t v = x != x ? 0 : x >= 9.2e18 ? INT64_MAX : x <= -9.2e18 ? INT64_MIN : (int64_t)x;
    int64_t m = ((int64_t)1 << bits) - 1, h = (int64_t)1 << (bits - 1);
    v &= m;
    return sign ? (v ^ h) - h : v;
}

double data_get_f64(DType t, const void *data, int64_t i) {
    switch (t) {
    case DT_F32: return ((const float *)data)[i];
    case DT_F64: return ((const double *)data)[i];
    case DT_F16: return half_to_float(((const uint16_t *)data)[i]);
    case DT_BF16: return bf16_to_float(((const uint16_t *)data)[i]);
    case DT_U8: case DT_BOOL: return ((const uint8_t *)data)[i];
    case DT_I8: return ((const int8_t *)data)[i];
    case DT_U16: return ((const uint16_t *)data)[i];
    case DT_I16: return ((const int16_t *)data)[i];
    case DT_I32: return ((const int32_t *)data)[i];
    case DT_I64: return (double)((const int64_t *)data)[i];
    case DT_U32: return ((const uint32_t *)data)[i];
    case DT_U64: return (double)((const uint64_t *)data)[i];
    case DT_U4: case DT_U2: return ((const uint8_t *)data)[i];
    case DT_I4: case DT_I2: return ((const int8_t *)data)[i];
    case DT_F8E4M3FN: return dlcc_f8_decode(((const uint8_t *)data)[i], 0);
    case DT_F8E4M3FNUZ: return dlcc_f8_decode(((const uint8_t *)data)[i], 1);
    case DT_F8E5M2: return dlcc_f8_decode(((const uint8_t *)data)[i], 2);
    case DT_F8E5M2FNUZ: return dlcc_f8_decode(((const uint8_t *)data)[i], 3);
    case DT_F8E8M0: return dlcc_f8e8m0_decode(((const uint8_t *)data)[i]);
    case DT_F4E2M1: return f4e2m1_to_float(((const uint8_t *)data)[i]);
    default: return 0;
    }
}

int64_t data_get_i64(DType t, const void *data, int64_t i) {
    switch (t) {
    case DT_I64: return ((const int64_t *)data)[i];
    case DT_U64: return (int64_t)((const uint64_t *)data)[i];
    case DT_I32: return ((const int32_t *)data)[i];
    case DT_U32: return ((const uint32_t *)data)[i];
    case DT_I16: return ((const int16_t *)data)[i];
    case DT_U16: return ((const uint16_t *)data)[i];
    case DT_I8: return ((const int8_t *)data)[i];
    case DT_U8: case DT_BOOL: return ((const uint8_t *)data)[i];
    default: return (int64_t)data_get_f64(t, data, i);
    }
}

void data_set_f64(DType t, void *data, int64_t i, double x) {
    switch (t) {
    case DT_F32: ((float *)data)[i] = (float)x; break;
    case DT_F64: ((double *)data)[i] = x; break;
    case DT_F16: ((uint16_t *)data)[i] = float_to_half((float)x); break;
    case DT_BF16: ((uint16_t *)data)[i] = float_to_bf16((float)x); break;
    case DT_U8: ((uint8_t *)data)[i] = (uint8_t)x; break;
    case DT_BOOL: ((uint8_t *)data)[i] = x != 0; break;
    case DT_I8: ((int8_t *)data)[i] = (int8_t)x; break;
    case DT_U16: ((uint16_t *)data)[i] = (uint16_t)x; break;
    case DT_I16: ((int16_t *)data)[i] = (int16_t)x; break;
    case DT_I32: ((int32_t *)data)[i] = (int32_t)x; break;
    case DT_I64: ((int64_t *)data)[i] = (int64_t)x; break;
    case DT_U32: ((uint32_t *)data)[i] = (uint32_t)x; break;
    case DT_U64: ((uint64_t *)data)[i] = (uint64_t)x; break;
    case DT_U4: ((uint8_t *)data)[i] = (uint8_t)wrap_bits(x, 4, false); break;
    case DT_I4: ((int8_t *)data)[i] = (int8_t)wrap_bits(x, 4, true); break;
    case DT_U2: ((uint8_t *)data)[i] = (uint8_t)wrap_bits(x, 2, false); break;
    case DT_I2: ((int8_t *)data)[i] = (int8_t)wrap_bits(x, 2, true); break;
    case DT_F8E4M3FN: ((uint8_t *)data)[i] = dlcc_f8_encode((float)x, 0, 1); break;
    case DT_F8E4M3FNUZ: ((uint8_t *)data)[i] = dlcc_f8_encode((float)x, 1, 1); break;
    case DT_F8E5M2: ((uint8_t *)data)[i] = dlcc_f8_encode((float)x, 2, 1); break;
    case DT_F8E5M2FNUZ: ((uint8_t *)data)[i] = dlcc_f8_encode((float)x, 3, 1); break;
    case DT_F8E8M0: ((uint8_t *)data)[i] = dlcc_f8e8m0_encode((float)x); break;
    case DT_F4E2M1: ((uint8_t *)data)[i] = float_to_f4e2m1((float)x); break;
    default: break;
    }
}

/*
 * tensor_io.c: TensorProto files in, dlcc storage layout out.
 *
 * A .pb file holds one TensorProto.  Its values live either in raw_data
 * (little-endian, packed two per byte for the 4-bit types and four per byte,
 * low bits first, for the 2-bit ones) or in one of the
 * typed repeated fields (float_data, int32_data, ...), whose choice depends
 * on the dtype.  tio_read_pb decodes both into the layout that generated code
 * uses: every element at its natural width, bool as one byte, f16/bf16 as
 * their 16-bit patterns, float8 (e8m0 too) as bytes, and
 * int4/uint4/float4/int2/uint2 unpacked to one element per byte.  tio_compare decodes every float type to double and
 * applies the ONNX backend-test style tolerance |got-want| <= atol+rtol*|want|.
 * String tensors (dtype 8) become arrays of `const char *` (the generated
 * API's layout), each string malloc'd and NUL-terminated; tio_compare
 * compares them exactly, and tio_write_string_pb writes string outputs back.
 */
#include "tensor_io.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.pb-c.h"

enum {
    T_F32 = 1, T_U8 = 2, T_I8 = 3, T_U16 = 4, T_I16 = 5, T_I32 = 6, T_I64 = 7,
    T_STR = 8, T_BOOL = 9, T_F16 = 10, T_F64 = 11, T_U32 = 12, T_U64 = 13,
    T_C64 = 14, T_C128 = 15, T_BF16 = 16, T_F8E4M3FN = 17, T_F8E4M3FNUZ = 18,
    T_F8E5M2 = 19, T_F8E5M2FNUZ = 20, T_U4 = 21, T_I4 = 22, T_F4E2M1 = 23,
    T_F8E8M0 = 24, T_U2 = 25, T_I2 = 26
};

size_t tio_dtype_size(int dtype)
{
    switch (dtype) {
    case T_F32: case T_I32: case T_U32: return 4;
    case T_I64: case T_U64: case T_F64: return 8;
    case T_STR: return sizeof(char *);
    case T_U16: case T_I16: case T_F16: case T_BF16: return 2;
    case T_U8: case T_I8: case T_BOOL: case T_F8E4M3FN: case T_F8E4M3FNUZ:
    case T_F8E5M2: case T_F8E5M2FNUZ: case T_U4: case T_I4: case T_F4E2M1:
    case T_F8E8M0: case T_U2: case T_I2:
        return 1;
    default: return 0;
    }
}

const char *tio_dtype_name(int dtype)
{
    static const char *names[] = {
        "undefined", "f32", "u8", "i8", "u16", "i16", "i32", "i64", "string", "bool",
        "f16", "f64", "u32", "u64", "c64", "c128", "bf16", "f8e4m3fn", "f8e4m3fnuz",
        "f8e5m2", "f8e5m2fnuz", "u4", "i4", "f4e2m1", "f8e8m0", "u2", "i2"
    };
    if (dtype >= 0 && dtype < (int)(sizeof names / sizeof names[0]))
        return names[dtype];
    return "dtype?";
}

void tio_format_type(int dtype, int rank, const int64_t *dims, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s[", tio_dtype_name(dtype));
    for (int i = 0; i < rank && n > 0 && (size_t)n < len; i++)
        n += snprintf(buf + n, len - (size_t)n, i ? ",%lld" : "%lld", (long long)dims[i]);
    if (n > 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, "]");
}

void tio_free(TioTensor *t)
{
    if (t->dtype == T_STR && t->data)
        for (size_t i = 0; i < t->count; i++)
            free(((char **)t->data)[i]);
    free(t->data);
    t->data = NULL;
}

/* Bits per element of the packed sub-byte types; 0 for the others. */
static int sub_bits(int dtype)
{
    if (dtype == T_U4 || dtype == T_I4 || dtype == T_F4E2M1)
        return 4;
    if (dtype == T_U2 || dtype == T_I2)
        return 2;
    return 0;
}

/* Stores the bits-wide code v of element i, sign-extending int4/int2. */
static void put_sub(TioTensor *t, size_t i, unsigned v)
{
    uint8_t *p = t->data;
    int bits = sub_bits(t->dtype);
    unsigned mask = (1u << bits) - 1, sign = 1u << (bits - 1);
    v &= mask;
    if ((t->dtype == T_I4 || t->dtype == T_I2) && (v & sign))
        p[i] = (uint8_t)(int8_t)((int)v - (int)(mask + 1));
    else
        p[i] = (uint8_t)v;
}

/* Element i of packed bytes (or int32 fields) src, for sub-byte dtype. */
#define SUB_CODE(src, i, bits) ((unsigned)(src)[(i) / (8 / (bits))] >> ((bits) * ((i) % (8 / (bits)))))

/* Stores integer v as element i of a tensor whose values come in int32_data. */
static void put_int32_field(TioTensor *t, size_t i, int32_t v)
{
    switch (t->elem_size) {
    case 1: ((uint8_t *)t->data)[i] = (uint8_t)v; break;
    case 2: ((uint16_t *)t->data)[i] = (uint16_t)v; break;
    default: ((int32_t *)t->data)[i] = v; break;
    }
}

static int fill_from_fields(TioTensor *t, const Onnx__TensorProto *p, char *err, size_t errlen)
{
    size_t n = t->count;
    size_t have;
    switch (t->dtype) {
    case T_F32:
        have = p->n_float_data;
        if (have == n) memcpy(t->data, p->float_data, n * 4);
        break;
    case T_F64:
        have = p->n_double_data;
        if (have == n) memcpy(t->data, p->double_data, n * 8);
        break;
    case T_I64:
        have = p->n_int64_data;
        if (have == n) memcpy(t->data, p->int64_data, n * 8);
        break;
    case T_U64:
        have = p->n_uint64_data;
        if (have == n) memcpy(t->data, p->uint64_data, n * 8);
        break;
    case T_U32:
        have = p->n_uint64_data;
        if (have == n)
            for (size_t i = 0; i < n; i++) ((uint32_t *)t->data)[i] = (uint32_t)p->uint64_data[i];
        break;
    case T_U4: case T_I4: case T_F4E2M1: case T_U2: case T_I2: {
        size_t k = 8 / (size_t)sub_bits(t->dtype);
        have = p->n_int32_data;
        if (have == (n + k - 1) / k) {
            for (size_t i = 0; i < n; i++)
                put_sub(t, i, SUB_CODE(p->int32_data, i, (size_t)sub_bits(t->dtype)));
            have = n;
        }
        break;
    }
    default:
        have = p->n_int32_data;
        if (have == n)
            for (size_t i = 0; i < n; i++) put_int32_field(t, i, p->int32_data[i]);
        break;
    }
    if (have != n) {
        snprintf(err, errlen, "%zu values for %zu elements", have, n);
        return -1;
    }
    return 0;
}

static uint8_t *read_whole(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open", path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(size > 0 ? (size_t)size : 1);
    if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) {
        fclose(f);
        free(buf);
        snprintf(err, errlen, "%s: read error", path);
        return NULL;
    }
    fclose(f);
    *len = (size_t)size;
    return buf;
}

static int decode_tensor(const uint8_t *buf, size_t size, const char *path, TioTensor *t, char *err,
                         size_t errlen);

int tio_read_pb(const char *path, TioTensor *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    size_t size;
    uint8_t *buf = read_whole(path, &size, err, errlen);
    if (!buf)
        return -1;
    int rc = decode_tensor(buf, size, path, t, err, errlen);
    free(buf);
    return rc;
}

/* ---------------------------------------------------------------- sequences and optionals */

/* onnx-data.proto's SequenceProto and OptionalProto are not in Debian's
 * onnx.proto, so their few fields are read straight off the wire:
 *   SequenceProto { 2: elem_type; 3: repeated TensorProto tensor_values }
 *   OptionalProto { 2: elem_type; 3: TensorProto tensor_value;
 *                   5: SequenceProto sequence_value } */
static int wire_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*p >= end)
            return -1;
        uint8_t b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return 0;
    }
    return -1;
}

/* Calls on_field(field, data, len) for each length-delimited field. */
static int wire_fields(const uint8_t *buf, size_t size, int (*on_field)(void *, int, const uint8_t *, size_t),
                       void *ctx)
{
    const uint8_t *p = buf, *end = buf + size;
    while (p < end) {
        uint64_t key, v;
        if (wire_varint(&p, end, &key))
            return -1;
        switch (key & 7) {
        case 0:
            if (wire_varint(&p, end, &v))
                return -1;
            break;
        case 1:
            if (end - p < 8)
                return -1;
            p += 8;
            break;
        case 5:
            if (end - p < 4)
                return -1;
            p += 4;
            break;
        case 2:
            if (wire_varint(&p, end, &v) || v > (uint64_t)(end - p))
                return -1;
            if (on_field(ctx, (int)(key >> 3), p, (size_t)v))
                return -1;
            p += v;
            break;
        default:
            return -1;
        }
    }
    return 0;
}

typedef struct {
    TioValue *v;
    const char *path;
    char *err;
    size_t errlen;
    int bad;
} SeqCtx;

static int seq_field(void *ctx, int field, const uint8_t *data, size_t len)
{
    SeqCtx *c = ctx;
    if (field != 3)
        return 0;
    if (c->v->n == TIO_MAX_ITEMS) {
        snprintf(c->err, c->errlen, "%s: more than %d items", c->path, TIO_MAX_ITEMS);
        return c->bad = -1;
    }
    if (decode_tensor(data, len, c->path, &c->v->items[c->v->n], c->err, c->errlen))
        return c->bad = -1;
    c->v->n++;
    return 0;
}

static int opt_field(void *ctx, int field, const uint8_t *data, size_t len)
{
    SeqCtx *c = ctx;
    if (field == 3) {
        c->v->present = 1;
        c->v->kind = TIO_OPTIONAL;
        if (decode_tensor(data, len, c->path, &c->v->items[0], c->err, c->errlen))
            return c->bad = -1;
        c->v->n = 1;
    } else if (field == 5) {
        c->v->present = 1;
        c->v->kind = TIO_OPTIONAL_SEQUENCE;
        if (wire_fields(data, len, seq_field, c))
            return c->bad = -1;
    }
    return 0;
}

int tio_read_value_pb(const char *path, int kind, TioValue *v, char *err, size_t errlen)
{
    memset(v, 0, sizeof *v);
    v->kind = kind;
    v->present = 1;
    if (kind == TIO_TENSOR) {
        v->n = 1;
        return tio_read_pb(path, &v->items[0], err, errlen);
    }
    size_t size;
    uint8_t *buf = read_whole(path, &size, err, errlen);
    if (!buf)
        return -1;
    SeqCtx c = {v, path, err, errlen, 0};
    int rc;
    if (kind == TIO_SEQUENCE) {
        rc = wire_fields(buf, size, seq_field, &c);
    } else {
        v->present = 0;
        rc = wire_fields(buf, size, opt_field, &c);
    }
    free(buf);
    if (rc && !c.bad)
        snprintf(err, errlen, "%s: not a %s", path, kind == TIO_SEQUENCE ? "SequenceProto" : "OptionalProto");
    if (rc)
        tio_free_value(v);
    return rc ? -1 : 0;
}

void tio_free_value(TioValue *v)
{
    for (int i = 0; i < v->n; i++)
        tio_free(&v->items[i]);
    v->n = 0;
}

static int decode_tensor(const uint8_t *buf, size_t size, const char *path, TioTensor *t, char *err,
                         size_t errlen)
{
    memset(t, 0, sizeof *t);
    Onnx__TensorProto *p = onnx__tensor_proto__unpack(NULL, size, buf);
    if (!p) {
        snprintf(err, errlen, "%s: not a TensorProto", path);
        return -1;
    }
    int rc = -1;
    t->dtype = p->data_type;
    t->elem_size = tio_dtype_size(t->dtype);
    if (p->name)
        snprintf(t->name, sizeof t->name, "%s", p->name);
    if (t->elem_size == 0) {
        snprintf(err, errlen, "%s: dtype %s is not supported by the harness", path,
                 tio_dtype_name(t->dtype));
        goto out;
    }
    if (p->n_dims > TIO_MAX_RANK) {
        snprintf(err, errlen, "%s: rank %zu > %d", path, p->n_dims, TIO_MAX_RANK);
        goto out;
    }
    if (p->has_data_location && p->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
        snprintf(err, errlen, "%s: external data is not supported", path);
        goto out;
    }
    t->rank = (int)p->n_dims;
    t->count = 1;
    for (int i = 0; i < t->rank; i++) {
        t->dims[i] = p->dims[i];
        t->count *= (size_t)p->dims[i];
    }
    t->data = calloc(t->count ? t->count : 1, t->elem_size);
    if (!t->data) {
        snprintf(err, errlen, "%s: out of memory", path);
        goto out;
    }
    if (t->dtype == T_STR) {
        if (p->n_string_data != t->count) {
            snprintf(err, errlen, "%s: %zu strings for %zu elements", path, p->n_string_data, t->count);
            goto out;
        }
        for (size_t i = 0; i < t->count; i++) {
            char *str = malloc(p->string_data[i].len + 1);
            if (!str) {
                snprintf(err, errlen, "%s: out of memory", path);
                goto out;
            }
            if (p->string_data[i].len)
                memcpy(str, p->string_data[i].data, p->string_data[i].len);
            str[p->string_data[i].len] = 0;
            ((char **)t->data)[i] = str;
        }
    } else if (p->has_raw_data) {
        size_t k = sub_bits(t->dtype) ? 8 / (size_t)sub_bits(t->dtype) : 1;
        size_t need = k > 1 ? (t->count + k - 1) / k : t->count * t->elem_size;
        if (p->raw_data.len != need) {
            snprintf(err, errlen, "%s: raw_data has %zu bytes, expected %zu", path,
                     p->raw_data.len, need);
            goto out;
        }
        if (k > 1) {
            for (size_t i = 0; i < t->count; i++)
                put_sub(t, i, SUB_CODE(p->raw_data.data, i, (size_t)sub_bits(t->dtype)));
        } else {
            memcpy(t->data, p->raw_data.data, need);
        }
    } else if (t->count > 0) {
        char why[128];
        if (fill_from_fields(t, p, why, sizeof why) != 0) {
            snprintf(err, errlen, "%s: %s", path, why);
            goto out;
        }
    }
    rc = 0;
out:
    onnx__tensor_proto__free_unpacked(p, NULL);
    if (rc != 0)
        tio_free(t);
    return rc;
}

/* A small IEEE-like float format: 1 sign bit, ebits exponent, mbits mantissa. */
static double minifloat(unsigned v, int ebits, int mbits, int bias, int has_inf, int fnuz)
{
    unsigned emax = (1u << ebits) - 1, mmax = (1u << mbits) - 1;
    unsigned sign = (v >> (ebits + mbits)) & 1;
    unsigned e = (v >> mbits) & emax, m = v & mmax;
    if (fnuz && sign && e == 0 && m == 0)
        return NAN;
    if (has_inf && e == emax)
        return m ? NAN : (sign ? -INFINITY : INFINITY);
    if (!has_inf && !fnuz && ebits == 4 && mbits == 3 && e == emax && m == mmax)
        return NAN; /* e4m3fn */
    double r = e == 0 ? ldexp((double)m, 1 - bias - mbits)
                      : ldexp((double)((1u << mbits) + m), (int)e - bias - mbits);
    return sign ? -r : r;
}

static double get_float(int dtype, const void *data, size_t i)
{
    switch (dtype) {
    case T_F32: return ((const float *)data)[i];
    case T_F64: return ((const double *)data)[i];
    case T_F16: return minifloat(((const uint16_t *)data)[i], 5, 10, 15, 1, 0);
    case T_BF16: return minifloat(((const uint16_t *)data)[i], 8, 7, 127, 1, 0);
    case T_F8E4M3FN: return minifloat(((const uint8_t *)data)[i], 4, 3, 7, 0, 0);
    case T_F8E4M3FNUZ: return minifloat(((const uint8_t *)data)[i], 4, 3, 8, 0, 1);
    case T_F8E5M2: return minifloat(((const uint8_t *)data)[i], 5, 2, 15, 1, 0);
    case T_F8E5M2FNUZ: return minifloat(((const uint8_t *)data)[i], 5, 2, 16, 0, 1);
    case T_F4E2M1: return minifloat(((const uint8_t *)data)[i] & 15, 2, 1, 1, 0, 0);
    case T_F8E8M0: {
        unsigned v = ((const uint8_t *)data)[i];
        return v == 255 ? NAN : ldexp(1.0, (int)v - 127);
    }
    default: return 0;
    }
}

static int is_float(int dtype)
{
    return dtype == T_F32 || dtype == T_F64 || dtype == T_F16 || dtype == T_BF16 ||
           (dtype >= T_F8E4M3FN && dtype <= T_F8E5M2FNUZ) || dtype == T_F4E2M1 ||
           dtype == T_F8E8M0;
}

/* Narrow float types cannot meet rtol 1e-3: allow about two units in the last
 * place.  (e8m0 has none: its codes are powers of two, compared as given.) */
static double dtype_min_rtol(int dtype)
{
    switch (dtype) {
    case T_F16: return 2e-3;
    case T_BF16: return 1.6e-2;
    case T_F8E4M3FN: case T_F8E4M3FNUZ: return 0.25;
    case T_F8E5M2: case T_F8E5M2FNUZ: case T_F4E2M1: return 0.5;
    default: return 0;
    }
}

static int64_t get_int(int dtype, const void *data, size_t i)
{
    switch (dtype) {
    case T_U8: case T_U4: case T_U2: return ((const uint8_t *)data)[i];
    case T_I8: case T_I4: case T_I2: return ((const int8_t *)data)[i];
    case T_BOOL: return ((const uint8_t *)data)[i] != 0;
    case T_U16: return ((const uint16_t *)data)[i];
    case T_I16: return ((const int16_t *)data)[i];
    case T_I32: return ((const int32_t *)data)[i];
    case T_U32: return ((const uint32_t *)data)[i];
    case T_I64: return ((const int64_t *)data)[i];
    case T_U64: return (int64_t)((const uint64_t *)data)[i];
    default: return 0;
    }
}

static void format_index(const TioTensor *t, size_t flat, char *buf, size_t len)
{
    int64_t idx[TIO_MAX_RANK];
    for (int d = t->rank - 1; d >= 0; d--) {
        idx[d] = t->dims[d] ? (int64_t)(flat % (size_t)t->dims[d]) : 0;
        flat = t->dims[d] ? flat / (size_t)t->dims[d] : 0;
    }
    int n = snprintf(buf, len, "[");
    for (int d = 0; d < t->rank && n > 0 && (size_t)n < len; d++)
        n += snprintf(buf + n, len - (size_t)n, d ? ",%lld" : "%lld", (long long)idx[d]);
    if (n > 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, "]");
}

/* A pointer the generated code left as the harness's 0xFF fill, or NULL. */
static const char *string_at(const void *got, size_t i, int *bad_ptr)
{
    const char *p;
    memcpy(&p, (const char *)got + i * sizeof p, sizeof p);
    uintptr_t all = (uintptr_t)-1;
    *bad_ptr = !p || (uintptr_t)p == all;
    return *bad_ptr ? NULL : p;
}

static size_t compare_strings(const TioTensor *expect, const void *got, char *msg, size_t msglen)
{
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < expect->count; i++) {
        int bad_ptr;
        const char *g = string_at(got, i, &bad_ptr);
        if (bad_ptr || strcmp(g, ((char *const *)expect->data)[i])) {
            if (bad++ == 0)
                first = i;
        }
    }
    if (bad && msg) {
        char fi[96];
        int bad_ptr;
        format_index(expect, first, fi, sizeof fi);
        const char *g = string_at(got, first, &bad_ptr);
        snprintf(msg, msglen, "%zu of %zu strings differ; first at %s: got %s%.80s%s, want \"%.80s\"", bad,
                 expect->count, fi, g ? "\"" : "", g ? g : "an unset pointer", g ? "\"" : "",
                 ((char *const *)expect->data)[first]);
    }
    return bad;
}

size_t tio_compare(const TioTensor *expect, const void *got, double rtol, double atol,
                   char *msg, size_t msglen)
{
    size_t bad = 0, first = 0, worst = 0;
    double worst_err = -1;
    if (expect->dtype == T_STR)
        return compare_strings(expect, got, msg, msglen);
    int fl = is_float(expect->dtype);
    if (fl && rtol < dtype_min_rtol(expect->dtype))
        rtol = dtype_min_rtol(expect->dtype);
    for (size_t i = 0; i < expect->count; i++) {
        int ok;
        double err = 0;
        if (fl) {
            double w = get_float(expect->dtype, expect->data, i);
            double g = get_float(expect->dtype, got, i);
            if (g == w || (isnan(g) && isnan(w))) {
                ok = 1;
            } else {
                err = fabs(g - w);
                ok = err <= atol + rtol * fabs(w); /* false for NaN and inf mismatches */
                if (!(err == err) || isinf(err))
                    err = INFINITY;
            }
        } else {
            ok = get_int(expect->dtype, expect->data, i) == get_int(expect->dtype, got, i);
            err = ok ? 0 : 1;
        }
        if (!ok) {
            if (bad == 0)
                first = i;
            if (err > worst_err) {
                worst_err = err;
                worst = i;
            }
            bad++;
        }
    }
    if (bad && msg) {
        char fi[96], wi[96];
        format_index(expect, first, fi, sizeof fi);
        format_index(expect, worst, wi, sizeof wi);
        if (fl)
            snprintf(msg, msglen,
                     "%zu of %zu values differ (rtol %g, atol %g); first at %s: got %.9g, "
                     "want %.9g; worst at %s: got %.9g, want %.9g",
                     bad, expect->count, rtol, atol, fi, get_float(expect->dtype, got, first),
                     get_float(expect->dtype, expect->data, first), wi,
                     get_float(expect->dtype, got, worst),
                     get_float(expect->dtype, expect->data, worst));
        else
            snprintf(msg, msglen, "%zu of %zu values differ; first at %s: got %lld, want %lld",
                     bad, expect->count, fi, (long long)get_int(expect->dtype, got, first),
                     (long long)get_int(expect->dtype, expect->data, first));
    }
    return bad;
}

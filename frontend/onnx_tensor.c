/*
 * onnx_tensor.c: TensorProto to element data and back.
 *
 * A TensorProto keeps its elements in one of several places: raw_data (the
 * little-endian bytes), a typed repeated field chosen by the dtype
 * (float_data, int32_data, int64_data, double_data, uint64_data,
 * string_data), or an external file named by the external_data keys
 * location/offset/length.  onnx_tensor_decode checks that the element count
 * agrees with the dims before it allocates anything, then converts to
 * dlcc's storage format (see onnx_internal.h).  External files must resolve,
 * after symlinks, to a regular file inside the model's folder.
 *
 * onnx_load_tensor_pb and onnx_write_tensor_pb read and write the .pb files
 * of the ONNX test data sets (used by `dlcc run`).
 */
#define _XOPEN_SOURCE 700
#include "onnx_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Element count limit: keeps byte counts far from overflow. */
#define MAX_ELEMS ((int64_t)1 << 40)

/* Bits per element of the packed sub-byte types (int4/uint4/float4 pack two
 * per byte, int2/uint2 four, low bits first); 0 for the others.  dlcc keeps
 * them unpacked, one element per byte. */
static int sub_bits(DType t) {
    if (t == DT_U4 || t == DT_I4 || t == DT_F4E2M1)
        return 4;
    if (t == DT_U2 || t == DT_I2)
        return 2;
    return 0;
}

/* Bytes of one stored element. */
static size_t storage_size(DType t) {
    if (t == DT_STRING)
        return sizeof(const char *);
    if (sub_bits(t))
        return 1;
    return dtype_size(t);
}

/* Elements packed in one byte: 8 / bits. */
static int64_t per_byte(DType t) { return 8 / sub_bits(t); }

/* Bytes the element data takes in raw_data / external files. */
static int64_t raw_bytes(DType t, int64_t numel) {
    return sub_bits(t) ? (numel + per_byte(t) - 1) / per_byte(t) : numel * (int64_t)dtype_size(t);
}

static bool dtype_known(int32_t t) {
    return t > 0 && t < DT_COUNT && strcmp(dtype_name((DType)t), "?") != 0;
}

/* Unpacks sub-byte elements, low bits first, sign-extending int4/int2. */
static void unpack_sub(DType t, const uint8_t *src, int64_t numel, uint8_t *dst) {
    int bits = sub_bits(t);
    int64_t k = per_byte(t);
    unsigned mask = (1u << bits) - 1, sign = 1u << (bits - 1);
    bool is_signed = t == DT_I4 || t == DT_I2;
    for (int64_t i = 0; i < numel; i++) {
        unsigned v = (src[i / k] >> (bits * (i % k))) & mask;
        if (is_signed && (v & sign))
            dst[i] = (uint8_t)(int8_t)((int)v - (int)(mask + 1));
        else
            dst[i] = (uint8_t)v;
    }
}

static void pack_sub(DType t, const uint8_t *src, int64_t numel, uint8_t *dst) {
    int bits = sub_bits(t);
    int64_t k = per_byte(t);
    unsigned mask = (1u << bits) - 1;
    for (int64_t i = 0; i < (numel + k - 1) / k; i++)
        dst[i] = 0;
    for (int64_t i = 0; i < numel; i++)
        dst[i / k] |= (uint8_t)((src[i] & mask) << (bits * (i % k)));
}

char *onnx_bytes_str(Arena *a, ProtobufCBinaryData b) {
    return b.len ? arena_strndup(a, (const char *)b.data, b.len) : arena_strdup(a, "");
}

char *onnx_dirname(Arena *a, const char *path) {
    const char *slash = path ? strrchr(path, '/') : NULL;
    if (!slash)
        return arena_strdup(a, ".");
    if (slash == path)
        return arena_strdup(a, "/");
    return arena_strndup(a, path, (size_t)(slash - path));
}

uint8_t *onnx_read_file(Ctx *c, const char *path, size_t *len) {
    Loc loc = {path, 0, 0, NULL, NULL};
    FILE *f = fopen(path, "rb");
    if (!f) {
        diag_error(c, loc, "cannot open file: %s", strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        diag_error(c, loc, "not a regular file");
        return NULL;
    }
    size_t n = (size_t)st.st_size;
    uint8_t *buf = malloc(n ? n : 1);
    DLCC_ASSERT(buf);
    if (n && fread(buf, 1, n, f) != n) {
        fclose(f);
        free(buf);
        diag_error(c, loc, "cannot read file");
        return NULL;
    }
    fclose(f);
    *len = n;
    return buf;
}

/* ---------------------------------------------------------------- external data */

/* True when the relative path `rel` has a ".." component. */
static bool path_has_dotdot(const char *rel) {
    for (const char *p = rel; *p;) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return true;
        if (!e)
            break;
        p = e + 1;
    }
    return false;
}

/* Reads `want` bytes of external data into dst (arena), checking that the
 * file lies inside base_dir. */
static bool read_external(Ctx *c, Arena *a, Loc loc, const char *base_dir, const char *what,
                          const Onnx__TensorProto *t, int64_t want, uint8_t **dst) {
    const char *location = NULL;
    int64_t offset = 0, length = -1;
    for (size_t i = 0; i < t->n_external_data; i++) {
        const Onnx__StringStringEntryProto *kv = t->external_data[i];
        if (!kv->key || !kv->value)
            continue;
        char *end;
        if (!strcmp(kv->key, "location")) {
            location = kv->value;
        } else if (!strcmp(kv->key, "offset") || !strcmp(kv->key, "length")) {
            errno = 0;
            long long x = strtoll(kv->value, &end, 10);
            if (errno || *end || end == kv->value || x < 0)
                return diag_error(c, loc, "%s: bad external data %s '%s'", what, kv->key, kv->value);
            if (!strcmp(kv->key, "offset"))
                offset = x;
            else
                length = x;
        }
    }
    if (!location || !*location)
        return diag_error(c, loc, "%s: external data without a location", what);
    if (!base_dir)
        return diag_error(c, loc, "%s: external data is not allowed here", what);
    if (location[0] == '/')
        return diag_error(c, loc, "%s: external data path '%s' is absolute; it must be relative to the model's folder",
                          what, location);
    if (path_has_dotdot(location))
        return diag_error(c, loc, "%s: external data path '%s' leaves the model's folder", what, location);
    char *joined = arena_printf(a, "%s/%s", base_dir, location);
    char real_base[PATH_MAX], real_file[PATH_MAX];
    if (!realpath(base_dir, real_base))
        return diag_error(c, loc, "%s: cannot resolve the model's folder '%s': %s", what, base_dir, strerror(errno));
    if (!realpath(joined, real_file))
        return diag_error(c, loc, "%s: cannot open external data file '%s': %s", what, joined, strerror(errno));
    size_t nb = strlen(real_base);
    bool inside = !strcmp(real_base, "/") ? real_file[0] == '/'
                                          : !strncmp(real_file, real_base, nb) && real_file[nb] == '/';
    if (!inside)
        return diag_error(c, loc, "%s: external data path '%s' resolves outside the model's folder (symlink?)", what,
                          location);
    FILE *f = fopen(real_file, "rb");
    if (!f)
        return diag_error(c, loc, "%s: cannot open external data file '%s': %s", what, joined, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return diag_error(c, loc, "%s: external data file '%s' is not a regular file", what, joined);
    }
    int64_t size = (int64_t)st.st_size;
    if (length < 0)
        length = size - offset;
    if (offset > size || length > size - offset) {
        fclose(f);
        return diag_error(c, loc, "%s: external data range [%lld, %lld) is beyond the end of '%s' (%lld bytes)", what,
                          (long long)offset, (long long)offset + (long long)length, joined, (long long)size);
    }
    if (length != want) {
        fclose(f);
        return diag_error(c, loc, "%s: external data has %lld bytes, the shape needs %lld", what, (long long)length,
                          (long long)want);
    }
    uint8_t *buf = arena_alloc(a, (size_t)want);
    bool ok = fseeko(f, (off_t)offset, SEEK_SET) == 0 && fread(buf, 1, (size_t)want, f) == (size_t)want;
    fclose(f);
    if (!ok)
        return diag_error(c, loc, "%s: cannot read external data file '%s'", what, joined);
    *dst = buf;
    return true;
}

/* ---------------------------------------------------------------- decoding */

/* Converts raw little-endian bytes (already read) to storage format. */
static void *from_raw(Arena *a, DType t, const uint8_t *raw, int64_t numel) {
    size_t bytes = (size_t)numel * storage_size(t);
    uint8_t *data = arena_alloc(a, bytes);
    if (sub_bits(t))
        unpack_sub(t, raw, numel, data);
    else if (bytes)
        memcpy(data, raw, bytes);
    if (t == DT_BOOL)
        for (int64_t i = 0; i < numel; i++)
            data[i] = data[i] != 0;
    return data;
}

static bool count_error(Ctx *c, Loc loc, const char *what, const char *field, size_t got, int64_t want) {
    return diag_error(c, loc, "%s: %s has %zu elements, the shape needs %lld", what, field, got, (long long)want);
}

/* Decodes the typed repeated field that holds dtype t. */
static bool from_typed(Ctx *c, Arena *a, Loc loc, const char *what, const Onnx__TensorProto *t, DType dt,
                       int64_t numel, void **out) {
    size_t es = storage_size(dt);
    switch (dt) {
    case DT_F32:
    case DT_C64: {
        int64_t want = dt == DT_C64 ? 2 * numel : numel;
        if ((int64_t)t->n_float_data != want)
            return count_error(c, loc, what, "float_data", t->n_float_data, want);
        *out = arena_memdup(a, t->float_data, sizeof(float) * (size_t)want);
        return true;
    }
    case DT_F64:
    case DT_C128: {
        int64_t want = dt == DT_C128 ? 2 * numel : numel;
        if ((int64_t)t->n_double_data != want)
            return count_error(c, loc, what, "double_data", t->n_double_data, want);
        *out = arena_memdup(a, t->double_data, sizeof(double) * (size_t)want);
        return true;
    }
    case DT_I64:
        if ((int64_t)t->n_int64_data != numel)
            return count_error(c, loc, what, "int64_data", t->n_int64_data, numel);
        *out = arena_memdup(a, t->int64_data, sizeof(int64_t) * (size_t)numel);
        return true;
    case DT_U32:
    case DT_U64: {
        if ((int64_t)t->n_uint64_data != numel)
            return count_error(c, loc, what, "uint64_data", t->n_uint64_data, numel);
        void *d = arena_alloc(a, es * (size_t)numel);
        for (int64_t i = 0; i < numel; i++) {
            if (dt == DT_U32)
                ((uint32_t *)d)[i] = (uint32_t)t->uint64_data[i];
            else
                ((uint64_t *)d)[i] = t->uint64_data[i];
        }
        *out = d;
        return true;
    }
    case DT_STRING: {
        if ((int64_t)t->n_string_data != numel)
            return count_error(c, loc, what, "string_data", t->n_string_data, numel);
        const char **d = arena_alloc(a, sizeof(const char *) * (size_t)numel);
        for (int64_t i = 0; i < numel; i++)
            d[i] = onnx_bytes_str(a, t->string_data[i]);
        *out = d;
        return true;
    }
    case DT_U4:
    case DT_I4:
    case DT_F4E2M1:
    case DT_U2:
    case DT_I2: {
        /* Packed 8/bits per int32 (low byte); accept one per int32 as well. */
        uint8_t *d = arena_alloc(a, (size_t)numel);
        int64_t packed_n = raw_bytes(dt, numel);
        if ((int64_t)t->n_int32_data == packed_n) {
            uint8_t *packed = arena_alloc(a, t->n_int32_data);
            for (size_t i = 0; i < t->n_int32_data; i++)
                packed[i] = (uint8_t)t->int32_data[i];
            unpack_sub(dt, packed, numel, d);
        } else if ((int64_t)t->n_int32_data == numel) {
            for (int64_t i = 0; i < numel; i++) {
                uint8_t one = (uint8_t)t->int32_data[i];
                unpack_sub(dt, &one, 1, d + i);
            }
        } else {
            return count_error(c, loc, what, "int32_data", t->n_int32_data, packed_n);
        }
        *out = d;
        return true;
    }
    case DT_I32: case DT_I16: case DT_I8: case DT_U16: case DT_U8: case DT_BOOL:
    case DT_F16: case DT_BF16:
    case DT_F8E4M3FN: case DT_F8E4M3FNUZ: case DT_F8E5M2: case DT_F8E5M2FNUZ: case DT_F8E8M0: {
        if ((int64_t)t->n_int32_data != numel)
            return count_error(c, loc, what, "int32_data", t->n_int32_data, numel);
        void *d = arena_alloc(a, es * (size_t)numel);
        for (int64_t i = 0; i < numel; i++) {
            int32_t x = t->int32_data[i];
            switch (es) {
            case 4: ((int32_t *)d)[i] = x; break;
            case 2: ((uint16_t *)d)[i] = (uint16_t)x; break;
            default: ((uint8_t *)d)[i] = dt == DT_BOOL ? x != 0 : (uint8_t)x; break;
            }
        }
        *out = d;
        return true;
    }
    default:
        return diag_error(c, loc, "%s: unsupported data type %d", what, (int)dt);
    }
}

bool onnx_tensor_decode(Ctx *c, Arena *a, Loc loc, const char *base_dir, const char *what,
                        const Onnx__TensorProto *t, OnnxTensor *out) {
    memset(out, 0, sizeof *out);
    out->name = arena_strdup(a, t->name ? t->name : "");
    if (t->segment)
        return diag_error(c, loc, "%s: segmented tensors are not supported", what);
    if (!t->has_data_type || !dtype_known(t->data_type))
        return diag_error(c, loc, "%s: data type %d is not supported", what, t->has_data_type ? (int)t->data_type : 0);
    DType dt = (DType)t->data_type;
    if (t->n_dims > DLCC_MAX_RANK)
        return diag_error(c, loc, "%s: rank %zu is above the maximum of %d", what, t->n_dims, DLCC_MAX_RANK);
    int64_t numel = 1;
    for (size_t i = 0; i < t->n_dims; i++) {
        if (t->dims[i] < 0)
            return diag_error(c, loc, "%s: negative dimension %lld", what, (long long)t->dims[i]);
        out->dims[i] = t->dims[i];
        if (t->dims[i] && numel > MAX_ELEMS / t->dims[i])
            return diag_error(c, loc, "%s: too many elements", what);
        numel *= t->dims[i];
    }
    out->dtype = dt;
    out->rank = (int)t->n_dims;
    int64_t want = raw_bytes(dt, numel);
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
        if (dt == DT_STRING)
            return diag_error(c, loc, "%s: string tensors cannot use external data", what);
        uint8_t *raw;
        if (!read_external(c, a, loc, base_dir, what, t, want, &raw))
            return false;
        out->data = sub_bits(dt) || dt == DT_BOOL ? from_raw(a, dt, raw, numel) : raw;
        return true;
    }
    if (t->has_raw_data && (t->raw_data.len > 0 || numel == 0 || dt == DT_STRING)) {
        if (dt == DT_STRING)
            return diag_error(c, loc, "%s: string tensors cannot use raw_data", what);
        if ((int64_t)t->raw_data.len != want)
            return diag_error(c, loc, "%s: raw_data has %zu bytes, the shape needs %lld", what, t->raw_data.len,
                              (long long)want);
        out->data = from_raw(a, dt, t->raw_data.data, numel);
        return true;
    }
    return from_typed(c, a, loc, what, t, dt, numel, &out->data);
}

/* ---------------------------------------------------------------- .pb files */

Value *onnx_load_tensor_pb(Ctx *c, Graph *g, const char *path) {
    Loc loc = {path, 0, 0, NULL, NULL};
    size_t len;
    uint8_t *buf = onnx_read_file(c, path, &len);
    if (!buf)
        return NULL;
    Onnx__TensorProto *t = onnx__tensor_proto__unpack(NULL, len, buf);
    free(buf);
    if (!t) {
        diag_error(c, loc, "not a valid serialized ONNX tensor");
        return NULL;
    }
    OnnxTensor d;
    char *dir = onnx_dirname(g->arena, path);
    bool ok = onnx_tensor_decode(c, g->arena, loc, dir, "tensor", t, &d);
    onnx__tensor_proto__free_unpacked(t, NULL);
    if (!ok)
        return NULL;
    const char *name = d.name[0] && !graph_find_value(g, d.name) ? d.name : graph_unique_name(g, "tensor");
    Value *v = graph_add_const(g, name, d.dtype, d.rank, d.dims, d.data);
    v->loc = loc;
    return v;
}

bool onnx_write_tensor_pb(const char *path, const char *name, DType dt, int rank, const int64_t *dims,
                          const void *data) {
    Onnx__TensorProto t = ONNX__TENSOR_PROTO__INIT;
    int64_t numel = 1;
    for (int i = 0; i < rank; i++)
        numel *= dims[i];
    t.n_dims = (size_t)rank;
    t.dims = (int64_t *)dims;
    t.has_data_type = 1;
    t.data_type = (int32_t)dt;
    t.name = (char *)(name ? name : "");
    uint8_t *packed = NULL;
    ProtobufCBinaryData *strings = NULL;
    if (dt == DT_STRING) {
        strings = calloc((size_t)numel + 1, sizeof *strings);
        DLCC_ASSERT(strings);
        for (int64_t i = 0; i < numel; i++) {
            const char *s = ((const char *const *)data)[i];
            strings[i].data = (uint8_t *)(s ? s : "");
            strings[i].len = s ? strlen(s) : 0;
        }
        t.n_string_data = (size_t)numel;
        t.string_data = strings;
    } else {
        t.has_raw_data = 1;
        t.raw_data.len = (size_t)raw_bytes(dt, numel);
        if (sub_bits(dt)) {
            packed = malloc(t.raw_data.len + 1);
            DLCC_ASSERT(packed);
            pack_sub(dt, data, numel, packed);
            t.raw_data.data = packed;
        } else {
            t.raw_data.data = (uint8_t *)data;
        }
    }
    size_t n = onnx__tensor_proto__get_packed_size(&t);
    uint8_t *out = malloc(n ? n : 1);
    DLCC_ASSERT(out);
    onnx__tensor_proto__pack(&t, out);
    FILE *f = fopen(path, "wb");
    bool ok = f && fwrite(out, 1, n, f) == n;
    if (f && fclose(f) != 0)
        ok = false;
    free(out);
    free(packed);
    free(strings);
    return ok;
}

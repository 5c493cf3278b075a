/*
 * onnx_internal.h: what the ONNX reader's files (frontend/onnx*.c) share.
 *
 * onnx_tensor.c turns a TensorProto (typed fields, raw_data or external
 * data) into element data in dlcc's storage format; onnx.c reads models.
 */
#ifndef DLCC_ONNX_INTERNAL_H
#define DLCC_ONNX_INTERNAL_H

#include "frontend.h"

#include "onnx.pb-c.h"

/* A decoded tensor: data is in storage format (bool as uint8_t, f16/bf16 as
 * uint16_t, 4-bit types unpacked one element per byte, strings as an array
 * of NUL-terminated `const char *`), allocated in the arena. */
typedef struct OnnxTensor {
    const char *name;
    DType dtype;
    int rank;
    int64_t dims[DLCC_MAX_RANK];
    void *data;
} OnnxTensor;

/* Decodes t.  base_dir is the folder external data must live in (NULL: no
 * external data allowed).  what names the tensor in messages
 * ("initializer 'w'").  Errors are recorded at loc. */
bool onnx_tensor_decode(Ctx *c, Arena *a, Loc loc, const char *base_dir, const char *what,
                        const Onnx__TensorProto *t, OnnxTensor *out);

/* Reads a whole file into a malloc'd buffer; records an error on failure. */
uint8_t *onnx_read_file(Ctx *c, const char *path, size_t *len);

/* A protobuf bytes field as a NUL-terminated arena string. */
char *onnx_bytes_str(Arena *a, ProtobufCBinaryData b);

/* The folder part of path ("." when none), in the arena. */
char *onnx_dirname(Arena *a, const char *path);

#endif

/*
 * tensor_io.h: reading ONNX TensorProto files (.pb) into the memory layout
 * that dlcc-generated code uses, and comparing tensors with tolerances.
 * Shared by the conformance harness (harness.c) and the whole-model tests.
 */
#ifndef DLCC_TENSOR_IO_H
#define DLCC_TENSOR_IO_H

#include <stddef.h>
#include <stdint.h>

#define TIO_MAX_RANK 8

typedef struct {
    char name[256];
    int dtype;                 /* ONNX TensorProto.DataType code */
    int rank;
    int64_t dims[TIO_MAX_RANK];
    size_t count;              /* number of elements */
    size_t elem_size;          /* bytes per element in dlcc's storage */
    void *data;                /* count * elem_size bytes, malloc'd */
} TioTensor;

/* Bytes per element as dlcc stores it (bool 1, f16/bf16 2, 4-bit types
 * unpacked to 1, string a `char *`); 0 for types the tests cannot carry (complex). */
size_t tio_dtype_size(int dtype);
const char *tio_dtype_name(int dtype);

/* Reads a TensorProto file.  Returns 0, or -1 with a message in err. */
int tio_read_pb(const char *path, TioTensor *t, char *err, size_t errlen);
void tio_free(TioTensor *t);

/* A graph input or output of any kind the harness carries: a tensor
 * (n = 1), a sequence of n tensors, or an optional tensor or sequence
 * (present = 0: empty).  Kinds use the generated dlcc_io_desc codes. */
enum { TIO_TENSOR = 0, TIO_SEQUENCE = 1, TIO_OPTIONAL = 2, TIO_OPTIONAL_SEQUENCE = 3 };
#define TIO_MAX_ITEMS 64
typedef struct {
    int kind;
    int present;
    int n;
    TioTensor items[TIO_MAX_ITEMS];
} TioValue;

/* Reads a TensorProto (kind TIO_TENSOR), SequenceProto (TIO_SEQUENCE) or
 * OptionalProto (TIO_OPTIONAL or TIO_OPTIONAL_SEQUENCE: the file decides
 * which, and whether it is present).  Returns 0, or -1 with err. */
int tio_read_value_pb(const char *path, int kind, TioValue *v, char *err, size_t errlen);
void tio_free_value(TioValue *v);

/* "f32[2,3]" */
void tio_format_type(int dtype, int rank, const int64_t *dims, char *buf, size_t len);

/* Compares got (dlcc storage of expect's dtype and count) against expect.
 * Floats: |got - want| <= atol + rtol * |want| (rtol widened for narrow float
 * types), NaN equals NaN; integers and bools exactly.  Returns the number of
 * mismatching elements and describes the first and worst in msg. */
size_t tio_compare(const TioTensor *expect, const void *got, double rtol, double atol,
                   char *msg, size_t msglen);

#endif

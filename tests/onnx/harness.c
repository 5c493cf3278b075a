/*
 * harness.c: drives one dlcc-generated model through the public API only.
 *
 * Linked with the generated net.c (built with --name net) for each test:
 *   harness [--rtol R] [--atol A] [--runs N] [--num-inputs N --num-outputs N
 *           --state-size N] -i IN.pb|zeros ... -o OUT.pb ...
 * Built with -DHARNESS_INCLUDE_NET_H it includes net.h and takes the counts and
 * the state size from its macros.  Otherwise (the conformance runner, which
 * compiles this file once per suite, not once per test) it declares the API
 * itself and the runner passes the values of NET_NUM_INPUTS, NET_NUM_OUTPUTS
 * and NET_STATE_SIZE read from net.h; the runner also compiles net.c with
 * `-include net.h`, so the header must agree with the definitions.
 * It reads the inputs, checks their dtype and shape against net_inputs[],
 * allocates a 64-byte-aligned state of NET_STATE_SIZE bytes (plus a guard),
 * calls net_init and then net_run N times (default 2, to catch results that
 * depend on leftover state), and compares every output with the expected
 * tensor.  Output buffers are pre-filled with 0xFF and followed by guard bytes,
 * so unwritten elements and overruns show up.  "zeros" as an input file means
 * a zero tensor of the descriptor's shape (the onnx-backend `light` models).
 * Sequence and optional slots (a model whose header declares
 * net_input_kinds/net_output_kinds) read SequenceProto/OptionalProto files:
 * a sequence is passed as an array of item pointers, an absent optional as
 * NULL, and every item is checked and compared like a tensor.
 * String tensors (dtype 8) are arrays of `const char *`: an input's pointer
 * array and its strings' bytes must come back unchanged; an output's pointer
 * array is pre-filled and guarded like any buffer, and its strings compare
 * exactly.
 *
 * Exit status: 0 passed, 1 wrong output, 2 bad test data or a dtype/shape that
 * disagrees with the descriptors, 3 net_init/net_run returned an error,
 * 4 an API contract violation (state size, modified input, buffer overrun).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensor_io.h"

#ifdef HARNESS_INCLUDE_NET_H
#include "net.h"
#else
#ifndef DLCC_TENSOR_DESC_DEFINED
#define DLCC_TENSOR_DESC_DEFINED
typedef struct {
    const char *name;
    int dtype;
    int rank;
    int64_t dims[8];
} dlcc_tensor_desc;
#endif
extern const dlcc_tensor_desc net_inputs[];
extern const dlcc_tensor_desc net_outputs[];
size_t net_state_size(void);
int net_init(void *state);
int net_run(void *state, const void *const inputs[], void *const outputs[]);
#endif

#define MAX_TENSORS 256

/* Sequence and optional slots (dlcc_io_desc, generated only for models
 * that have them; weak, so that other models link too). */
#ifndef DLCC_IO_DESC_DEFINED
#define DLCC_IO_DESC_DEFINED
typedef struct {
    int kind;
    int present;
    int n_items;
    const dlcc_tensor_desc *items;
} dlcc_io_desc;
#endif
extern const dlcc_io_desc net_input_kinds[] __attribute__((weak));
extern const dlcc_io_desc net_output_kinds[] __attribute__((weak));

static int slot_kind(const dlcc_io_desc *kinds, int k) { return kinds ? kinds[k].kind : TIO_TENSOR; }

/* The desc of item j of slot k: the slot's own desc for a tensor or an
 * optional tensor, the items[] entry for a sequence. */
static const dlcc_tensor_desc *item_desc(const dlcc_tensor_desc *descs, const dlcc_io_desc *kinds, int k, int j)
{
    int kind = slot_kind(kinds, k);
    if (kind == TIO_SEQUENCE || kind == TIO_OPTIONAL_SEQUENCE)
        return &kinds[k].items[j];
    return &descs[k];
}

/* Checks a value read from a file against slot k: kind, presence, number
 * of items.  Returns 0 or prints why and returns -1. */
static int check_slot(const char *what, int k, const TioValue *v, const dlcc_tensor_desc *descs,
                      const dlcc_io_desc *kinds)
{
    int kind = slot_kind(kinds, k), present = kinds ? kinds[k].present : 1;
    int n = kind == TIO_SEQUENCE || kind == TIO_OPTIONAL_SEQUENCE ? kinds[k].n_items : present ? 1 : 0;
    int vkind = v->kind, vn = v->n;
    if (kind == TIO_OPTIONAL && !v->present)
        vkind = TIO_OPTIONAL; /* an empty optional's file says nothing of its element kind */
    if (kind == TIO_OPTIONAL_SEQUENCE && !v->present)
        vkind = TIO_OPTIONAL_SEQUENCE;
    if (vkind != kind || v->present != present || vn != n) {
        printf("%s %d '%s': test data is kind %d%s with %d items, generated code declares kind %d%s with %d\n",
               what, k, descs[k].name, vkind, v->present ? "" : " (empty)", vn, kind, present ? "" : " (empty)", n);
        return -1;
    }
    return 0;
}

#define GUARD 64

static const dlcc_tensor_desc *desc_in(int i) { return &net_inputs[i]; }
static const dlcc_tensor_desc *desc_out(int i) { return &net_outputs[i]; }

static size_t desc_count(const dlcc_tensor_desc *d)
{
    size_t n = 1;
    for (int i = 0; i < d->rank; i++)
        n *= (size_t)d->dims[i];
    return n;
}

/* ONNX 1.12's test data stores bfloat16 tensors as uint16 (numpy has no bfloat16):
 * the same bits, so such a file is taken as bf16. */
static int same_dtype(int data, int declared)
{
    return data == declared || (data == 4 && declared == 16);
}

static int same_type(const TioTensor *t, const dlcc_tensor_desc *d)
{
    if (!same_dtype(t->dtype, d->dtype) || t->rank != d->rank)
        return 0;
    for (int i = 0; i < d->rank; i++)
        if (t->dims[i] != d->dims[i])
            return 0;
    return 1;
}

static void describe_mismatch(const char *what, int k, const TioTensor *t,
                              const dlcc_tensor_desc *d)
{
    char a[160], b[160];
    tio_format_type(t->dtype, t->rank, t->dims, a, sizeof a);
    tio_format_type(d->dtype, d->rank, d->dims, b, sizeof b);
    printf("%s %d '%s': test data is %s, generated code declares %s\n", what, k, d->name, a, b);
}

static int check_guard(const unsigned char *p, const char *what, int k)
{
    for (int i = 0; i < GUARD; i++)
        if (p[i] != 0xA5) {
            printf("%s %d: generated code wrote past the end of the buffer\n", what, k);
            return 0;
        }
    return 1;
}

int main(int argc, char **argv)
{
    const char *in_files[MAX_TENSORS], *out_files[MAX_TENSORS];
    int n_in = 0, n_out = 0, runs = 2;
#ifdef HARNESS_INCLUDE_NET_H
    long num_inputs = NET_NUM_INPUTS, num_outputs = NET_NUM_OUTPUTS;
    size_t state_size = NET_STATE_SIZE;
#else
    long num_inputs = -1, num_outputs = -1;
    size_t state_size = (size_t)-1;
#endif
    double rtol = 1e-3, atol = 1e-4;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-i") && i + 1 < argc && n_in < MAX_TENSORS)
            in_files[n_in++] = argv[++i];
        else if (!strcmp(argv[i], "-o") && i + 1 < argc && n_out < MAX_TENSORS)
            out_files[n_out++] = argv[++i];
        else if (!strcmp(argv[i], "--num-inputs") && i + 1 < argc)
            num_inputs = strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--num-outputs") && i + 1 < argc)
            num_outputs = strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--state-size") && i + 1 < argc)
            state_size = (size_t)strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--rtol") && i + 1 < argc)
            rtol = atof(argv[++i]);
        else if (!strcmp(argv[i], "--atol") && i + 1 < argc)
            atol = atof(argv[++i]);
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--rtol R] [--atol A] [--runs N] -i IN.pb|zeros ... "
                            "-o OUT.pb ...\n", argv[0]);
            return 2;
        }
    }
    if (num_inputs < 0 || num_outputs < 0 || state_size == (size_t)-1) {
        printf("harness: --num-inputs, --num-outputs and --state-size are required\n");
        return 2;
    }
    if (n_in != num_inputs || n_out != num_outputs) {
        printf("test data has %d inputs and %d outputs, generated code has %ld and %ld\n", n_in,
               n_out, num_inputs, num_outputs);
        return 2;
    }
    if (net_state_size() != state_size) {
        printf("net_state_size() = %zu but NET_STATE_SIZE = %zu\n", net_state_size(), state_size);
        return 4;
    }
    const dlcc_io_desc *in_kinds = net_input_kinds, *out_kinds = net_output_kinds;

    char err[512];
    static TioValue inputs[MAX_TENSORS], expect[MAX_TENSORS];
    static const void *in_ptrs[MAX_TENSORS];
    static const void *in_items[MAX_TENSORS][TIO_MAX_ITEMS];
    static void *copies[MAX_TENSORS][TIO_MAX_ITEMS];
    static char **str_copies[MAX_TENSORS][TIO_MAX_ITEMS]; /* string inputs: copies of the bytes */
    static unsigned char *out_bufs[MAX_TENSORS][TIO_MAX_ITEMS];
    static void *out_items[MAX_TENSORS][TIO_MAX_ITEMS];
    static void *out_ptrs[MAX_TENSORS];

    for (int k = 0; k < n_in; k++) {
        int kind = slot_kind(in_kinds, k);
        if (!strcmp(in_files[k], "zeros") && kind == TIO_TENSOR) {
            const dlcc_tensor_desc *d = &net_inputs[k];
            TioTensor *t = &inputs[k].items[0];
            memset(&inputs[k], 0, sizeof inputs[k]);
            inputs[k].present = inputs[k].n = 1;
            t->dtype = d->dtype;
            t->rank = d->rank;
            memcpy(t->dims, d->dims, sizeof d->dims);
            t->count = desc_count(d);
            t->elem_size = tio_dtype_size(d->dtype);
            t->data = calloc(t->count + 1, t->elem_size + 1);
        } else if (tio_read_value_pb(in_files[k], kind, &inputs[k], err, sizeof err) != 0) {
            printf("input %d: %s\n", k, err);
            return 2;
        }
        if (check_slot("input", k, &inputs[k], net_inputs, in_kinds))
            return 2;
        for (int j = 0; j < inputs[k].n; j++) {
            TioTensor *t = &inputs[k].items[j];
            const dlcc_tensor_desc *d = item_desc(net_inputs, in_kinds, k, j);
            if (!same_type(t, d)) {
                describe_mismatch("input", k, t, d);
                return 2;
            }
            size_t bytes = t->count * t->elem_size;
            copies[k][j] = malloc(bytes + 1);
            memcpy(copies[k][j], t->data, bytes);
            if (t->dtype == 8) {
                str_copies[k][j] = calloc(t->count + 1, sizeof(char *));
                for (size_t e = 0; e < t->count; e++) {
                    const char *se = ((char **)t->data)[e];
                    size_t len = strlen(se ? se : "");
                    str_copies[k][j][e] = malloc(len + 1);
                    memcpy(str_copies[k][j][e], se ? se : "", len + 1);
                }
            }
            in_items[k][j] = t->data;
        }
        if (kind == TIO_SEQUENCE || kind == TIO_OPTIONAL_SEQUENCE)
            in_ptrs[k] = inputs[k].present ? (const void *)in_items[k] : NULL;
        else
            in_ptrs[k] = inputs[k].n ? in_items[k][0] : NULL;
    }
    for (int k = 0; k < n_out; k++) {
        int kind = slot_kind(out_kinds, k);
        if (tio_read_value_pb(out_files[k], kind, &expect[k], err, sizeof err) != 0) {
            printf("output %d: %s\n", k, err);
            return 2;
        }
        if (check_slot("output", k, &expect[k], net_outputs, out_kinds))
            return 1;
        for (int j = 0; j < expect[k].n; j++) {
            TioTensor *t = &expect[k].items[j];
            const dlcc_tensor_desc *d = item_desc(net_outputs, out_kinds, k, j);
            if (!same_type(t, d)) {
                describe_mismatch("output", k, t, d);
                return 1;
            }
            out_bufs[k][j] = malloc(t->count * t->elem_size + GUARD);
            out_items[k][j] = out_bufs[k][j];
        }
        if (kind == TIO_SEQUENCE || kind == TIO_OPTIONAL_SEQUENCE)
            out_ptrs[k] = expect[k].present ? (void *)out_items[k] : NULL;
        else
            out_ptrs[k] = expect[k].n ? out_items[k][0] : NULL;
    }

    size_t state_bytes = (state_size + 63) / 64 * 64;
    unsigned char *state = aligned_alloc(64, state_bytes + GUARD);
    if (!state) {
        printf("cannot allocate a state of %zu bytes\n", state_bytes);
        return 2;
    }
    memset(state, 0xCD, state_bytes);
    memset(state + state_size, 0xA5, state_bytes + GUARD - state_size);
    int rc = net_init(state);
    if (rc != 0) {
        printf("net_init returned %d\n", rc);
        return 3;
    }

    int failed = 0;
    for (int r = 0; r < runs && !failed; r++) {
        for (int k = 0; k < n_out; k++)
            for (int j = 0; j < expect[k].n; j++) {
                size_t bytes = expect[k].items[j].count * expect[k].items[j].elem_size;
                memset(out_bufs[k][j], 0xFF, bytes);
                memset(out_bufs[k][j] + bytes, 0xA5, GUARD);
            }
        rc = net_run(state, in_ptrs, out_ptrs);
        if (rc != 0) {
            printf("net_run returned %d (run %d)\n", rc, r + 1);
            return 3;
        }
        if (!check_guard(state + state_size, "state", 0))
            return 4;
        for (int k = 0; k < n_in; k++)
            for (int j = 0; j < inputs[k].n; j++) {
                const TioTensor *t = &inputs[k].items[j];
                if (memcmp(copies[k][j], t->data, t->count * t->elem_size)) {
                    printf("net_run modified input %d '%s'\n", k, desc_in(k)->name);
                    return 4;
                }
                for (size_t e = 0; str_copies[k][j] && e < t->count; e++) {
                    const char *se = ((char **)t->data)[e];
                    if (strcmp(se ? se : "", str_copies[k][j][e])) {
                        printf("net_run modified string %zu of input %d '%s'\n", e, k, desc_in(k)->name);
                        return 4;
                    }
                }
            }
        for (int k = 0; k < n_out; k++)
            for (int j = 0; j < expect[k].n; j++) {
                const TioTensor *t = &expect[k].items[j];
                if (!check_guard(out_bufs[k][j] + t->count * t->elem_size, "output", k))
                    return 4;
                size_t bad = tio_compare(t, out_bufs[k][j], rtol, atol, err, sizeof err);
                if (bad) {
                    if (expect[k].kind != TIO_TENSOR && expect[k].kind != TIO_OPTIONAL)
                        printf("output %d '%s' item %d (run %d): %s\n", k, desc_out(k)->name, j, r + 1, err);
                    else
                        printf("output %d '%s' (run %d): %s\n", k, desc_out(k)->name, r + 1, err);
                    failed = 1;
                }
            }
    }
    if (!failed)
        printf("ok: %d inputs, %d outputs, state %zu bytes, %d runs\n", n_in, n_out,
               state_size, runs);
    return failed;
}

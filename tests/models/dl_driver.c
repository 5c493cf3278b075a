/*
 * dl_driver.c: runs one dlcc-generated model (built with --name net) on raw
 * tensors, for the examples/ checks of tests/models/dl_examples.py.
 *
 *   dl_driver DIR
 *
 * Uses only the API of ../shared/API.md.  It allocates a 64-byte-aligned state
 * of NET_STATE_SIZE bytes, calls net_init, and in a training build (net.h then
 * defines NET_NUM_PARAMS) first writes every parameter as DIR/param_K.bin, so
 * that the reference can use the very values the initializers produced.  It
 * then reads input K from DIR/in_K.bin (raw little-endian, row-major, the size
 * given by net_inputs[K]), calls net_run twice (the second result must equal
 * the first: nothing may depend on leftover state) and writes output K as
 * DIR/out_K.bin.  In a training build it then reads the targets from
 * DIR/target_K.bin, calls net_train_step once and writes the loss it returns
 * (one float, computed before the update) as DIR/loss_0.bin.
 *
 * Exit status: 0 done, 1 an input file is missing or has the wrong size,
 * 2 net_init/net_run/net_train_step failed, 3 the two runs disagree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

static size_t driver_dtype_size(int dtype)
{
    switch (dtype) {
    case 2: case 3: case 9: case 21: case 22: return 1; /* u8 i8 bool u4 i4 */
    case 4: case 5: case 10: case 16: return 2;         /* u16 i16 f16 bf16 */
    case 1: case 6: case 12: return 4;                  /* f32 i32 u32 */
    default: return 8;                                  /* i64 f64 u64 */
    }
}

static size_t driver_desc_bytes(const dlcc_tensor_desc *d)
{
    size_t n = driver_dtype_size(d->dtype);
    for (int i = 0; i < d->rank; i++)
        n *= (size_t)d->dims[i];
    return n;
}

static void *driver_alloc(size_t bytes)
{
    size_t rounded = (bytes + 63) / 64 * 64;
    return aligned_alloc(64, rounded ? rounded : 64);
}

/* Reads DIR/PREFIX_K.bin into a fresh buffer of exactly d's size; NULL when
   missing or of the wrong size (reported). */
static void *driver_read(const char *dir, const char *prefix, int k, const dlcc_tensor_desc *d)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s_%d.bin", dir, prefix, k);
    size_t bytes = driver_desc_bytes(d);
    void *buf = driver_alloc(bytes);
    FILE *f = fopen(path, "rb");
    if (!f || !buf) {
        fprintf(stderr, "dl_driver: cannot read %s\n", path);
        if (f)
            fclose(f);
        free(buf);
        return NULL;
    }
    size_t got = bytes ? fread(buf, 1, bytes, f) : 0;
    int extra = fgetc(f);
    fclose(f);
    if (got != bytes || extra != EOF) {
        fprintf(stderr, "dl_driver: %s: expected %zu bytes for '%s'\n", path, bytes, d->name);
        free(buf);
        return NULL;
    }
    return buf;
}

static int driver_write(const char *dir, const char *prefix, int k, const void *buf, size_t bytes)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s_%d.bin", dir, prefix, k);
    FILE *f = fopen(path, "wb");
    if (!f || (bytes && fwrite(buf, 1, bytes, f) != bytes)) {
        fprintf(stderr, "dl_driver: cannot write %s\n", path);
        if (f)
            fclose(f);
        return 1;
    }
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: dl_driver DIR\n");
        return 1;
    }
    const char *dir = argv[1];
    void *state = driver_alloc(NET_STATE_SIZE);
    if (!state || net_init(state) != 0) {
        fprintf(stderr, "dl_driver: net_init failed\n");
        return 2;
    }
#ifdef NET_NUM_PARAMS
    for (int i = 0; i < NET_NUM_PARAMS; i++)
        if (driver_write(dir, "param", i, net_param(state, i), driver_desc_bytes(&net_params[i])))
            return 1;
#endif
    const void *inputs[NET_NUM_INPUTS + 1];
    void *outputs[NET_NUM_OUTPUTS + 1], *again[NET_NUM_OUTPUTS + 1];
    for (int i = 0; i < NET_NUM_INPUTS; i++)
        if (!(inputs[i] = driver_read(dir, "in", i, &net_inputs[i])))
            return 1;
    for (int i = 0; i < NET_NUM_OUTPUTS; i++) {
        size_t bytes = driver_desc_bytes(&net_outputs[i]);
        outputs[i] = driver_alloc(bytes);
        again[i] = driver_alloc(bytes);
        if (!outputs[i] || !again[i])
            return 2;
        memset(outputs[i], 0xFF, bytes);
        memset(again[i], 0xEE, bytes);
    }
    int rc = net_run(state, inputs, outputs);
    if (rc != 0) {
        fprintf(stderr, "dl_driver: net_run returned %d\n", rc);
        return 2;
    }
    rc = net_run(state, inputs, again);
    if (rc != 0) {
        fprintf(stderr, "dl_driver: second net_run returned %d\n", rc);
        return 2;
    }
    for (int i = 0; i < NET_NUM_OUTPUTS; i++) {
        size_t bytes = driver_desc_bytes(&net_outputs[i]);
        if (memcmp(outputs[i], again[i], bytes) != 0) {
            fprintf(stderr, "dl_driver: output '%s' differs between two runs\n",
                    net_outputs[i].name);
            return 3;
        }
        if (driver_write(dir, "out", i, outputs[i], bytes))
            return 1;
    }
#ifdef NET_NUM_TARGETS
    {
        const void *targets[NET_NUM_TARGETS + 1];
        for (int i = 0; i < NET_NUM_TARGETS; i++)
            if (!(targets[i] = driver_read(dir, "target", i, &net_targets[i])))
                return 1;
        float loss = 0.0f;
        rc = net_train_step(state, inputs, targets, &loss);
        if (rc != 0) {
            fprintf(stderr, "dl_driver: net_train_step returned %d\n", rc);
            return 2;
        }
        if (driver_write(dir, "loss", 0, &loss, sizeof loss))
            return 1;
    }
#endif
    return 0;
}

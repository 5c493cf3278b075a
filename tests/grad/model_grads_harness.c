/*
 * model_grads_harness.c: the parameter gradients of one training step of a
 * generated training build (--name net, optimizer sgd(lr=1)), through the
 * API only.  Reads DIR/in_K.bin and DIR/target_K.bin (raw, as the
 * descriptors say), saves every parameter before the step
 * (DIR/param_K.bin), runs net_train_step and writes the gradient
 * p_before - p_after (DIR/grad_K.bin, same dtype) and the loss
 * (DIR/loss.bin, f32).  With SGD at lr 1 and no momentum or weight decay
 * the update is exactly p - grad.
 *
 *     model_grads_harness DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

static size_t desc_bytes(const dlcc_tensor_desc *d) {
    size_t n = 1;
    for (int i = 0; i < d->rank; i++)
        n *= (size_t)d->dims[i];
    switch (d->dtype) {
    case 11: case 7: case 13: return n * 8;
    case 1: case 6: case 12: return n * 4;
    case 5: case 4: case 10: case 16: return n * 2;
    default: return n;
    }
}

static void *read_file(const char *dir, const char *what, int k, size_t bytes) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s_%d.bin", dir, what, k);
    FILE *f = fopen(path, "rb");
    void *p = malloc(bytes + 1);
    if (!f || !p || fread(p, 1, bytes, f) != bytes) {
        fprintf(stderr, "cannot read %zu bytes from %s\n", bytes, path);
        exit(3);
    }
    fclose(f);
    return p;
}

static void write_file(const char *dir, const char *what, int k, const void *p, size_t bytes) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s_%d.bin", dir, what, k);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, bytes, f) != bytes) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(3);
    }
    fclose(f);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    size_t size = (NET_STATE_SIZE + 63) / 64 * 64;
    void *state = aligned_alloc(64, size);
    if (!state || net_init(state) != 0)
        return 3;
    const void *ins[NET_NUM_INPUTS + 1], *tgs[NET_NUM_TARGETS + 1];
    for (int k = 0; k < NET_NUM_INPUTS; k++)
        ins[k] = read_file(dir, "in", k, desc_bytes(&net_inputs[k]));
    for (int k = 0; k < NET_NUM_TARGETS; k++)
        tgs[k] = read_file(dir, "target", k, desc_bytes(&net_targets[k]));
    void *before[NET_NUM_PARAMS + 1];
    for (int k = 0; k < NET_NUM_PARAMS; k++) {
        size_t b = desc_bytes(&net_params[k]);
        before[k] = malloc(b);
        memcpy(before[k], net_param(state, k), b);
        write_file(dir, "param", k, before[k], b);
    }
    float loss = 0;
    int rc = net_train_step(state, ins, tgs, &loss);
    if (rc != 0) {
        fprintf(stderr, "net_train_step failed: %d\n", rc);
        return 3;
    }
    for (int k = 0; k < NET_NUM_PARAMS; k++) {
        size_t b = desc_bytes(&net_params[k]);
        const void *after = net_param(state, k);
        if (net_params[k].dtype == 1) {
            float *g = malloc(b);
            for (size_t i = 0; i < b / 4; i++)
                g[i] = ((const float *)before[k])[i] - ((const float *)after)[i];
            write_file(dir, "grad", k, g, b);
        } else if (net_params[k].dtype == 11) {
            double *g = malloc(b);
            for (size_t i = 0; i < b / 8; i++)
                g[i] = ((const double *)before[k])[i] - ((const double *)after)[i];
            write_file(dir, "grad", k, g, b);
        } else {
            fprintf(stderr, "parameter %s: dtype %d not supported\n", net_params[k].name, net_params[k].dtype);
            return 3;
        }
        printf("param %d %s\n", k, net_params[k].name);
    }
    write_file(dir, "loss", 0, &loss, sizeof loss);
    printf("loss %.9g\n", (double)loss);
    return 0;
}

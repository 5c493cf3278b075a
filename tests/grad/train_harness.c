/*
 * train_harness.c: drives a generated training build (--name net) for the
 * PyTorch comparisons of scripts/train_ref.py, through the API of API.md only.
 *
 *   train_harness STEPS IN_0.bin ... TG_0.bin ... OUT.bin
 *
 * Inputs and targets are raw little-endian tensors as the descriptors say.
 * OUT.bin receives, in order: every parameter after net_init (as stored),
 * the STEPS losses (f32), every parameter after the last step, and output 0
 * of net_run after training.
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
    case 11: case 7: return n * 8;
    case 1: case 6: return n * 4;
    default: return n;
    }
}

static void *read_file(const char *path, size_t bytes) {
    void *p = malloc(bytes + 1);
    FILE *f = fopen(path, "rb");
    if (!p || !f || fread(p, 1, bytes, f) != bytes) {
        fprintf(stderr, "cannot read %zu bytes from %s\n", bytes, path);
        exit(2);
    }
    fclose(f);
    return p;
}

int main(int argc, char **argv) {
    if (argc != 3 + NET_NUM_INPUTS + NET_NUM_TARGETS) {
        fprintf(stderr, "usage: %s STEPS inputs... targets... OUT.bin\n", argv[0]);
        return 2;
    }
    int steps = atoi(argv[1]);
    void *state = aligned_alloc(64, (NET_STATE_SIZE + 63) / 64 * 64);
    const void *in[NET_NUM_INPUTS + 1], *tg[NET_NUM_TARGETS + 1];
    for (int i = 0; i < NET_NUM_INPUTS; i++)
        in[i] = read_file(argv[2 + i], desc_bytes(&net_inputs[i]));
    for (int i = 0; i < NET_NUM_TARGETS; i++)
        tg[i] = read_file(argv[2 + NET_NUM_INPUTS + i], desc_bytes(&net_targets[i]));
    FILE *out = fopen(argv[argc - 1], "wb");
    if (!state || !out || net_init(state) != 0)
        return 3;
    for (int k = 0; k < NET_NUM_PARAMS; k++)
        fwrite(net_param(state, k), 1, desc_bytes(&net_params[k]), out);
    for (int s = 0; s < steps; s++) {
        float loss = 0;
        int rc = net_train_step(state, in, tg, &loss);
        if (rc != 0) {
            fprintf(stderr, "train_step %d: %d\n", s, rc);
            return 4;
        }
        fwrite(&loss, sizeof loss, 1, out);
    }
    for (int k = 0; k < NET_NUM_PARAMS; k++)
        fwrite(net_param(state, k), 1, desc_bytes(&net_params[k]), out);
    void *outs[NET_NUM_OUTPUTS + 1];
    for (int k = 0; k < NET_NUM_OUTPUTS; k++)
        outs[k] = malloc(desc_bytes(&net_outputs[k]) + 1);
    if (net_run(state, in, outs) != 0)
        return 5;
    fwrite(outs[0], 1, desc_bytes(&net_outputs[0]), out);
    fclose(out);
    return 0;
}

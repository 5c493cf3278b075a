/*
 * dropout_hook_harness.c: drives a training build (--name net) compiled with
 * -DNET_DROPOUT_HOOK=test_dropout_mask, for tests/grad/dropout_hook.py.  The
 * hook keeps element i at step s when (5 i + 3 s) mod 7 < 4, and counts its
 * calls and the dropout ids and steps it saw.
 *
 *   dropout_hook_harness STEPS X.bin T.bin OUT.bin
 *
 * OUT.bin: every parameter after net_init, the STEPS losses (f32), then
 * every parameter after the last step.
 * stdout: "calls N ids MINID MAXID steps MINSTEP MAXSTEP".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "net.h"

static long hook_calls;
static int id_lo = 1 << 30, id_hi = -1;
static int64_t step_lo = INT64_MAX, step_hi = -1;

int test_dropout_mask(int id, int64_t step, int64_t i);
int test_dropout_mask(int id, int64_t step, int64_t i) {
    hook_calls++;
    if (id < id_lo) id_lo = id;
    if (id > id_hi) id_hi = id;
    if (step < step_lo) step_lo = step;
    if (step > step_hi) step_hi = step;
    return (i * 5 + step * 3) % 7 < 4; /* the mask tests/grad/dropout_hook.py assumes */
}

static size_t desc_bytes(const dlcc_tensor_desc *d) {
    size_t n = 1;
    for (int i = 0; i < d->rank; i++)
        n *= (size_t)d->dims[i];
    return n * (d->dtype == 11 || d->dtype == 7 ? 8 : 4);
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
    if (argc != 5 || NET_NUM_INPUTS != 1 || NET_NUM_TARGETS != 1) {
        fprintf(stderr, "usage: %s STEPS X.bin T.bin OUT.bin\n", argv[0]);
        return 2;
    }
    int steps = atoi(argv[1]);
    void *state = aligned_alloc(64, (NET_STATE_SIZE + 63) / 64 * 64);
    const void *in[1] = {read_file(argv[2], desc_bytes(&net_inputs[0]))};
    const void *tg[1] = {read_file(argv[3], desc_bytes(&net_targets[0]))};
    FILE *out = fopen(argv[4], "wb");
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
    fclose(out);
    printf("calls %ld ids %d %d steps %lld %lld\n", hook_calls, id_lo, id_hi, (long long)step_lo, (long long)step_hi);
    return 0;
}

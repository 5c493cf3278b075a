/*
 * run_mlp.c: an application of the generated code, using only its API.
 *
 *   dlcc examples/mlp.onnx -o mlp.c --name mlp
 *   clang -std=c11 -O2 mlp.c examples/run_mlp.c -lm -o run_mlp && ./run_mlp
 *
 * examples/mlp.onnx is a small MLP (64-64-10) trained on the scikit-learn 8x8
 * digits by scripts/make_example.py.  It takes the 64 pixel values (0..16) and
 * returns the ten class probabilities.  This program classifies three images
 * from the held-out part of the data set.
 */
#include <stdio.h>
#include <stdlib.h>

#include "mlp.h"

static const struct {
    int label;
    float pixels[64];
} samples[] = {
    {2, {0, 0, 7, 14, 11, 1, 0, 0, 0, 6, 15, 6, 7, 10, 0, 0, 0, 11, 7, 0, 2, 12, 0, 0, 0, 5,
         4, 0, 1, 12, 0, 0, 0, 0, 0, 0, 3, 9, 0, 0, 0, 0, 0, 0, 11, 3, 0, 0, 0, 0, 0, 9, 13, 2,
         3, 0, 0, 0, 7, 16, 16, 16, 16, 6}},
    {2, {0, 0, 2, 10, 12, 2, 0, 0, 0, 0, 11, 16, 13, 10, 0, 0, 0, 0, 9, 7, 2, 15, 0, 0, 0, 0,
         3, 2, 3, 15, 0, 0, 0, 0, 0, 0, 10, 10, 0, 0, 0, 0, 2, 7, 16, 7, 0, 0, 0, 0, 9, 16, 16,
         16, 16, 3, 0, 0, 3, 13, 9, 8, 4, 0}},
    {9, {0, 0, 6, 12, 15, 9, 1, 0, 0, 5, 14, 4, 5, 16, 3, 0, 0, 9, 8, 3, 13, 16, 4, 0, 0, 3,
         15, 15, 7, 10, 8, 0, 0, 0, 0, 1, 0, 12, 8, 0, 0, 0, 0, 0, 0, 11, 2, 0, 0, 0, 7, 4, 5,
         13, 0, 0, 0, 0, 5, 14, 15, 4, 0, 0}},
};

int main(void)
{
    /* The state holds every intermediate tensor: MLP_STATE_SIZE bytes, 64-byte aligned. */
    size_t bytes = (MLP_STATE_SIZE + 63) / 64 * 64;
    void *state = aligned_alloc(64, bytes ? bytes : 64);
    if (!state || mlp_init(state) != 0) {
        fprintf(stderr, "run_mlp: cannot set up the model\n");
        return 1;
    }
    printf("model: input '%s' [%lld,%lld], output '%s' [%lld,%lld], state %zu bytes\n",
           mlp_inputs[0].name, (long long)mlp_inputs[0].dims[0], (long long)mlp_inputs[0].dims[1],
           mlp_outputs[0].name, (long long)mlp_outputs[0].dims[0],
           (long long)mlp_outputs[0].dims[1], (size_t)MLP_STATE_SIZE);

    int correct = 0, n = (int)(sizeof samples / sizeof samples[0]);
    for (int s = 0; s < n; s++) {
        float probs[10];
        const void *inputs[] = {samples[s].pixels};
        void *outputs[] = {probs};
        int rc = mlp_run(state, inputs, outputs);
        if (rc != 0) {
            fprintf(stderr, "run_mlp: mlp_run returned %d\n", rc);
            return 1;
        }
        int best = 0;
        for (int k = 1; k < 10; k++)
            if (probs[k] > probs[best])
                best = k;
        printf("image %d (a %d): predicted %d with probability %.3f\n", s, samples[s].label, best,
               probs[best]);
        correct += best == samples[s].label;
    }
    printf("%d of %d correct\n", correct, n);
    free(state);
    return correct == n ? 0 : 1;
}

/*
 * gradcheck_harness.c: checks the gradients of a generated f64 training
 * build (--name net, optimizer sgd(lr=1), no inputs or targets, output 0 =
 * the loss) against central finite differences, through the API only.
 *
 * Analytic: one net_train_step on a copy of the state; with SGD at lr 1 the
 * gradient is the parameter minus its new value.  Numeric: (L(p + eps) -
 * L(p - eps)) / 2 eps with L from net_train_loss (the training-mode forward
 * of the same step), eps 1e-6.  Pass when
 * |analytic - numeric| <= 1e-5 + 1e-3 |numeric| for every element.
 * Prints "gradcheck: OK N" or the failing elements, exit status 1 on failure.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

static int64_t numel(const dlcc_tensor_desc *d) {
    int64_t n = 1;
    for (int i = 0; i < d->rank; i++)
        n *= d->dims[i];
    return n;
}

/* The training-mode loss (dropout masks of step 1, batch statistics). */
static double loss_at(void *state) {
    double l = 0;
    if (net_train_loss(state, NULL, NULL, &l) != 0) {
        fprintf(stderr, "net_train_loss failed\n");
        exit(3);
    }
    return l;
}

int main(void) {
    size_t size = (NET_STATE_SIZE + 63) / 64 * 64;
    void *state = aligned_alloc(64, size), *copy = aligned_alloc(64, size);
    if (!state || !copy || net_init(state) != 0)
        return 3;
    memcpy(copy, state, size);
    float lf;
    if (net_train_step(copy, NULL, NULL, &lf) != 0) {
        fprintf(stderr, "net_train_step failed\n");
        return 3;
    }
    const double eps = 1e-6;
    int bad = 0, n = 0;
    for (int k = 0; k < NET_NUM_PARAMS; k++) {
        if (net_params[k].dtype != 11)
            continue;
        double *p = net_param(state, k), *q = net_param(copy, k);
        for (int64_t i = 0; i < numel(&net_params[k]); i++) {
            double a = p[i] - q[i], x = p[i];
            p[i] = x + eps;
            double lp = loss_at(state);
            p[i] = x - eps;
            double lm = loss_at(state);
            p[i] = x;
            double num = (lp - lm) / (2 * eps);
            n++;
            if (!(fabs(a - num) <= 1e-5 + 1e-3 * fabs(num))) {
                if (bad++ < 8)
                    printf("  %s[%lld]: analytic %.10g numeric %.10g\n", net_params[k].name, (long long)i, a, num);
            }
        }
    }
    printf("gradcheck: %s %d elements, %d bad\n", bad ? "FAIL" : "OK", n, bad);
    return bad ? 1 : 0;
}

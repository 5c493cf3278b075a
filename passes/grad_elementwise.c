/*
 * grad_elementwise.c: gradient rules of the elementwise operators.
 *
 * Arithmetic is differentiated with arithmetic (Add, Neg, Mul, Div); the
 * broadcast reduction back to each operand's shape happens in grad_add.
 * Every unary function uses one helper op, dlcc.UnaryGrad(dy, x, y), whose
 * emitter (codegen/emit_grad.c) holds the table of derivative expressions
 * keyed by the forward op's name; operators with two differentiable
 * operands and no clean primitive form (Pow, PRelu, Max, Min) use
 * dlcc.BinaryGrad the same way.
 */
#include "passes.h"

#include <string.h>

bool grad_add_op(GradCtx *gc) {
    grad_add(gc, 0, gc->dy[0]);
    grad_add(gc, 1, gc->dy[0]);
    return true;
}

bool grad_sub(GradCtx *gc) {
    grad_add(gc, 0, gc->dy[0]);
    if (grad_wants(gc, 1))
        grad_add(gc, 1, grad_op(gc, OP_NEG, gc->dy[0], NULL));
    return true;
}

bool grad_mul(GradCtx *gc) {
    Node *n = gc->node;
    if (grad_wants(gc, 0))
        grad_add(gc, 0, grad_op(gc, OP_MUL, gc->dy[0], n->in[1]));
    if (grad_wants(gc, 1))
        grad_add(gc, 1, grad_op(gc, OP_MUL, gc->dy[0], n->in[0]));
    return true;
}

bool grad_div(GradCtx *gc) {
    Node *n = gc->node;
    Value *da = grad_op(gc, OP_DIV, gc->dy[0], n->in[1]); /* dy / b */
    grad_add(gc, 0, da);
    if (grad_wants(gc, 1)) /* -dy a / b^2 = -(dy / b) * y */
        grad_add(gc, 1, grad_op(gc, OP_NEG, grad_op(gc, OP_MUL, da, n->out[0]), NULL));
    return true;
}

bool grad_neg(GradCtx *gc) {
    grad_add(gc, 0, grad_op(gc, OP_NEG, gc->dy[0], NULL));
    return true;
}

bool grad_identity(GradCtx *gc) {
    grad_add(gc, 0, gc->dy[0]);
    return true;
}

/* Sum: dy to every operand; Mean: dy / count. */
bool grad_sum(GradCtx *gc) {
    Node *n = gc->node;
    Value *d = gc->dy[0];
    if (n->op == OP_MEAN)
        d = grad_op(gc, OP_MUL, d, grad_const(gc, d->dtype, 1.0 / n->n_in));
    for (int i = 0; i < n->n_in; i++)
        grad_add(gc, i, d);
    return true;
}

/* dy * f'(x) through dlcc.UnaryGrad, carrying the forward attributes. */
bool grad_unary(GradCtx *gc) {
    Node *n = gc->node;
    if (!grad_wants(gc, 0))
        return true;
    Value *in[3] = {gc->dy[0], n->in[0], n->out[0]};
    Node *d = grad_node(gc, OP_UNARYGRAD, in, 3, 1);
    for (int i = 0; i < n->n_attrs; i++)
        *node_set_attr(gc->g, d, n->attrs[i].name, n->attrs[i].kind) = n->attrs[i];
    node_set_attr_string(gc->g, d, "op", op_table[n->op].name);
    if (!grad_infer(gc, d))
        return false;
    grad_add(gc, 0, d->out[0]);
    return true;
}

/* Clip(x, min, max): dy where min <= x <= max (the output equals x). */
bool grad_clip(GradCtx *gc) {
    Node *n = gc->node;
    if (!grad_wants(gc, 0))
        return true;
    Value *in[3] = {gc->dy[0], n->in[0], n->out[0]};
    Node *d = grad_node(gc, OP_UNARYGRAD, in, 3, 1);
    node_set_attr_string(gc->g, d, "op", "Clip");
    if (!grad_infer(gc, d))
        return false;
    grad_add(gc, 0, d->out[0]);
    return true;
}

static Value *binary_grad(GradCtx *gc, int wrt) {
    Node *n = gc->node;
    Value *in[4] = {gc->dy[0], n->in[0], n->in[1], n->out[0]};
    Node *d = grad_node(gc, OP_BINARYGRAD, in, 4, 1);
    for (int i = 0; i < n->n_attrs; i++)
        *node_set_attr(gc->g, d, n->attrs[i].name, n->attrs[i].kind) = n->attrs[i];
    node_set_attr_string(gc->g, d, "op", op_table[n->op].name);
    node_set_attr_int(gc->g, d, "wrt", wrt);
    return grad_infer(gc, d) ? d->out[0] : NULL;
}

/* Pow, PRelu, and two-operand Max/Min. */
bool grad_binary(GradCtx *gc) {
    Node *n = gc->node;
    if (n->n_in != 2)
        return node_error(gc->c, n, "gradient of %d operands is not supported", n->n_in);
    for (int i = 0; i < 2; i++)
        if (grad_wants(gc, i))
            grad_add(gc, i, binary_grad(gc, i));
    return true;
}

/* Where(cond, a, b): dy where cond to a, elsewhere to b. */
bool grad_where(GradCtx *gc) {
    Node *n = gc->node;
    Value *zero = grad_const(gc, gc->dy[0]->dtype, 0.0);
    for (int i = 1; i <= 2; i++) {
        if (!grad_wants(gc, i))
            continue;
        Value *in[3] = {n->in[0], i == 1 ? gc->dy[0] : zero, i == 1 ? zero : gc->dy[0]};
        Node *w = grad_node(gc, OP_WHERE, in, 3, 1);
        if (!grad_infer(gc, w))
            return false;
        grad_add(gc, i, w->out[0]);
    }
    return true;
}

/* Model expressions: parsing, exact symbolic derivatives, scalar evaluation
 * and a compiled form that evaluates a block of Monte Carlo trials per
 * instruction. Private to uncertainty/.
 *
 * Why our own and not libmatheval: libmatheval evaluates one trial per call
 * through a symbol-table lookup and a tree walk; the Monte Carlo loop needs
 * 10^6 trials in a few milliseconds (tools/bench measures both). One parser
 * here serves the law of propagation (derivatives) and Monte Carlo alike. */
#ifndef CALDAQ_UNC_EXPR_H
#define CALDAQ_UNC_EXPR_H

#include <stddef.h>

#include "cd.h"

enum expr_op {
    EXPR_NUM, EXPR_VAR,
    EXPR_ADD, EXPR_SUB, EXPR_MUL, EXPR_DIV, EXPR_POW,
    EXPR_NEG, EXPR_SQRT, EXPR_EXP, EXPR_LOG, EXPR_SIN, EXPR_COS, EXPR_TAN, EXPR_ABS,
    EXPR_SIGN, /* only produced by differentiation of abs */
};

struct expr {
    enum expr_op op;
    double num;          /* EXPR_NUM */
    int var;             /* EXPR_VAR: index into the variable vector */
    struct expr *a, *b;  /* operands (b for binary ops) */
};

/* Resolves a name: returns 1 and sets *var for a variable, returns 2 and
 * sets *value for a constant, returns 0 when the name is unknown. */
typedef int (*expr_lookup_fn)(void *ctx, const char *name, int *var, double *value);

/* Parse `text`. On error the message names `where` and the column. */
struct expr *expr_parse(const char *text, expr_lookup_fn lookup, void *ctx, const char *where,
                        struct cd_err *err);
void expr_free(struct expr *e);
struct expr *expr_copy(const struct expr *e);

/* d e / d var, simplified; NULL only when out of memory. */
struct expr *expr_diff(const struct expr *e, int var);
int expr_is_zero(const struct expr *e);
/* Whether the expression depends on variable `var`. */
int expr_uses(const struct expr *e, int var);

double expr_eval(const struct expr *e, const double *vars);

/* A compiled expression over blocks of EXPR_BLOCK trials. */
#define EXPR_BLOCK 256

struct expr_prog;
struct expr_prog *expr_compile(const struct expr *e);
void expr_prog_free(struct expr_prog *p);
/* Registers the program needs in a scratch area (each EXPR_BLOCK doubles). */
size_t expr_prog_registers(const struct expr_prog *p);
/* out[t] = e(columns[0][t], columns[1][t], ...) for t < n <= EXPR_BLOCK.
 * `scratch` holds expr_prog_registers() * EXPR_BLOCK doubles. */
void expr_prog_eval_block(const struct expr_prog *p, const double *const *columns, size_t n,
                          double *scratch, double *out);

#endif

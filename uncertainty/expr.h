/* Model expressions: parsing, exact symbolic derivatives, scalar evaluation
 * and a compiled form that evaluates a block of Monte Carlo trials per
 * instruction. Private to uncertainty/.
 *
 * Why our own and not libmatheval: libmatheval evaluates one trial per call
 * through a symbol-table lookup and a tree walk; the Monte Carlo loop needs
 * 10^6 trials in a few milliseconds (tools/bench measures both). One parser
 * here serves the law of propagation (derivatives) and Monte Carlo alike.
 *
 * An expression is a list of nodes in which every operand comes before the
 * node that uses it (the root last), so that every walk is a loop over the
 * list and none recurses as deep as the input is long; derivatives refer to
 * the nodes they share with the expression instead of copying them, so a
 * derivative is at most a few times larger than what it derives. The text
 * model files and profiles supply is outside input: the parser, the only
 * recursive part, stops at EXPR_MAX_DEPTH, and sizes have limits too. */
#ifndef CALDAQ_UNC_EXPR_H
#define CALDAQ_UNC_EXPR_H

#include <stddef.h>

#include "cd.h"

/* Levels of nesting in the text: parentheses, function arguments, signs and
 * powers (a^b^c is two). The parser recurses at most a few frames a level. */
#define EXPR_MAX_DEPTH 200
/* Numbers, names and operations in one parsed expression. GUM models have
 * tens; 10000 is a 5000-term sum. */
#define EXPR_MAX_NODES 10000
/* Nodes of a derivative while it is built (24 bytes each: 24 MB). The law
 * of propagation needs up to third derivatives (GUM 5.1.2 note); each has
 * at most 7n + 1 nodes for n in what it derives, and far fewer in practice. */
#define EXPR_MAX_DERIVED_NODES 1000000

struct expr;

/* Resolves a name: returns 1 and sets *var for a variable, returns 2 and
 * sets *value for a constant, returns 0 when the name is unknown. */
typedef int (*expr_lookup_fn)(void *ctx, const char *name, int *var, double *value);

/* Parse `text`. On error the message names `where`, the column and, for a
 * limit, which limit. */
struct expr *expr_parse(const char *text, expr_lookup_fn lookup, void *ctx, const char *where,
                        struct cd_err *err);
void expr_free(struct expr *e);
struct expr *expr_copy(const struct expr *e);
/* Nodes in the expression. */
size_t expr_size(const struct expr *e);

/* d e / d var, simplified; NULL when out of memory or when the derivative
 * would exceed EXPR_MAX_DERIVED_NODES (the message says which). */
struct expr *expr_diff(const struct expr *e, int var, struct cd_err *err);
int expr_is_zero(const struct expr *e);
/* Whether the expression depends on variable `var`. */
int expr_uses(const struct expr *e, int var);

/* NAN also when out of memory (expressions of more than 64 nodes take a
 * buffer from the heap). */
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

/*
 * net.c - addresses: cidrmatch().  A condition, never null: a null address
 * does not match; on a multivalue address it is true when any value is in
 * the subnet.
 */
#include "engine/fn/fn.h"
#include "engine/expr/match.h"

#include <arpa/inet.h>
#include <string.h>

#define A(k, i) (fc->args[k][i])
#define ARENA (fc->c->arena)

/* ---------------------------------------------------------- cidrmatch */

int cq_fn_cidrmatch(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        cq_sv c = cq_val_str(&A(0, i), ARENA);
        const cq_val *ip = &A(1, i);
        unsigned char net[16];
        int fam, bits, hit = 0;
        if (cq_cidr_parse(c, &fam, net, &bits)) {
            if (ip->t == CQ_V_MV) {
                for (uint32_t k = 0; k < ip->n_mv && !hit; k++)
                    hit = cq_cidr_contains(fam, net, bits, ip->mv[k]);
            } else if (ip->t != CQ_V_NULL) {
                hit = cq_cidr_contains(fam, net, bits, cq_val_str(ip, ARENA));
            }
        }
        fc->out[i] = cq_val_bool(hit);
    }
    return 0;
}

/*
 * net.c - addresses: cidrmatch(), ipmask().  cidrmatch is a condition,
 * never null: a null address
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

/* ------------------------------------------------------------- ipmask */

/* ipmask(mask, ip): IPv4 ip ANDed with mask, both dotted quads; null when
 * either is not one. */
int cq_fn_ipmask(cq_fn_call *fc)
{
    for (uint32_t i = 0; i < fc->n; i++) {
        cq_sv m = cq_val_str(&A(0, i), ARENA), a = cq_val_str(&A(1, i), ARENA);
        char mb[INET_ADDRSTRLEN], ab[INET_ADDRSTRLEN], out[INET_ADDRSTRLEN];
        struct in_addr mi, ai;
        fc->out[i] = (cq_val){0};
        if (A(1, i).t == CQ_V_MV || !m.p || !a.p || m.len >= sizeof mb || a.len >= sizeof ab)
            continue;
        memcpy(mb, m.p, m.len);
        mb[m.len] = '\0';
        memcpy(ab, a.p, a.len);
        ab[a.len] = '\0';
        if (inet_pton(AF_INET, mb, &mi) != 1 || inet_pton(AF_INET, ab, &ai) != 1)
            continue;
        ai.s_addr &= mi.s_addr;
        if (inet_ntop(AF_INET, &ai, out, sizeof out))
            fc->out[i] = cq_val_from_sv(cq_fn_sv_dup(ARENA, out, strlen(out)));
    }
    return 0;
}

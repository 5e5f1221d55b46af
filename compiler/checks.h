/*
 * Per-resource checks, called by validate_resource() (validate.c) in this
 * order: schema layer first, then Istio's admission rules for the kind.
 * Each reports into `d` and never stops at the first problem.
 */
#ifndef MESHC_CHECKS_H
#define MESHC_CHECKS_H

#include "compiler.h"

/* schema.c: the CRD schema (types, enums, required, oneOf, unknown fields, CEL). */
void schema_check(struct diag_list *d, const struct resource *r);

/* rules_*.c: Istio's Go validation (istio.md §2), one file per kind. */
void rules_virtual_service(struct diag_list *d, const struct resource *r,
			   const struct meshc_options *opt);
void rules_destination_rule(struct diag_list *d, const struct resource *r,
			    const struct meshc_options *opt);
void rules_gateway(struct diag_list *d, const struct resource *r,
		   const struct meshc_options *opt);
void rules_service_entry(struct diag_list *d, const struct resource *r,
			 const struct meshc_options *opt);
/* rules_gw.c: security.IsValidCipherSuite (also read by gwapi_tls.c). */
bool istio_cipher_suite_valid(const char *cs);
/* rules_unreachable.c: §2.5, IST0130/IST0131 for a VirtualService. */
void rules_vs_unreachable(struct diag_list *d, const struct resource *r);

#endif

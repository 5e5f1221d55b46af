/*
 * Per-resource validation: the schema layer, then Istio's admission rules
 * for the resource's kind (checks.h). Runs on worker threads: everything
 * called here reads only the resource and reports into `d`.
 */
#include "checks.h"

void validate_resource(struct diag_list *d, const struct resource *r,
		       const struct meshc_options *opt)
{
	(void)opt;
	/* hook: schema layer */

	switch (r->kind) {
	case KIND_VIRTUAL_SERVICE:
		/* hook: VirtualService rules */
		rules_vs_unreachable(d, r);
		break;
	case KIND_DESTINATION_RULE:
		/* hook: DestinationRule rules */
		break;
	case KIND_GATEWAY:
		/* hook: Gateway rules */
		break;
	case KIND_SERVICE_ENTRY:
		/* hook: ServiceEntry rules */
		break;
	default:
		break;
	}
	(void)d;
}

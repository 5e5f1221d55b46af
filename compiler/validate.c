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
	schema_check(d, r);

	switch (r->kind) {
	case KIND_VIRTUAL_SERVICE:
		/* hook: VirtualService rules */
		rules_virtual_service(d, r, opt);
		rules_vs_unreachable(d, r);
		break;
	case KIND_DESTINATION_RULE:
		/* hook: DestinationRule rules */
		rules_destination_rule(d, r, opt);
		break;
	case KIND_GATEWAY:
		/* hook: Gateway rules */
		rules_gateway(d, r, opt);
		break;
	case KIND_SERVICE_ENTRY:
		/* hook: ServiceEntry rules */
		rules_service_entry(d, r, opt);
		break;
	case KIND_GATEWAY_CLASS:
	case KIND_K8S_GATEWAY:
	case KIND_HTTP_ROUTE:
	case KIND_GRPC_ROUTE:
	case KIND_REFERENCE_GRANT:
	case KIND_BACKEND_TLS_POLICY:
	case KIND_TCP_ROUTE:
	case KIND_TLS_ROUTE:
	case KIND_LISTENER_SET:
		/* hook: Gateway API rules (the schema layer covers the CRDs) */
		break;
	default:
		break;
	}
	(void)d;
}

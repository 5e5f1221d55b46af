/*
 * Waypoints of another controller. A Service or ServiceEntry whose
 * istio.io/use-waypoint label (on it, else on its namespace) names a
 * Gateway of a class Istio does not control is served by that
 * controller: Istio takes no route parentRef to it and drops its own
 * stale status entry for it (the corpus's foreign-waypoint case).
 */
#include <string.h>
#include <strings.h>

#include "gwapi.h"

static const char *label(const struct node *labels, const char *key)
{
	const char *v = gwapi_str(labels, key);
	return v && *v ? v : NULL;
}

bool gwapi_foreign_waypoint(struct gwapi *g, bool service_entry, const char *ns,
			    const char *name)
{
	struct gw_obj *t = gwapi_find(g, service_entry ? GWK_SERVICE_ENTRY : GWK_SERVICE, ns, name);
	if (!t)
		return false;
	const struct node *labels = t->labels;
	const char *wp = label(labels, "istio.io/use-waypoint");
	if (!wp) {
		struct gw_obj *nso = gwapi_find(g, GWK_NAMESPACE, NULL, ns);
		labels = nso ? nso->labels : NULL;
		wp = label(labels, "istio.io/use-waypoint");
	}
	if (!wp || strcasecmp(wp, "none") == 0)
		return false;
	const char *wns = label(labels, "istio.io/use-waypoint-namespace");
	struct gw_obj *gw = gwapi_find(g, GWK_GATEWAY, wns ? wns : ns, wp);
	if (!gw)
		return false;   /* unknown offline: treated as Istio's */
	return !gwapi_istio_controller(gwapi_class_controller(g, gwapi_str(gw->spec, "gatewayClassName")));
}

/*
 * East-west gateways, as Istio treats them (pilot/pkg/config/kube/gateway:
 * IsAutoPassthrough, and the east-west class's listener rule in the
 * gateway collection; corpus cases eastwest*, east-west-ambient):
 *   - a Passthrough listener is AUTO_PASSTHROUGH (SNI-routed to mesh
 *     services across networks) when its TLS options say
 *     gateway.istio.io/listener-protocol: auto-passthrough, or when the
 *     Gateway is a network gateway (label topology.istio.io/network) and
 *     the listener's port is its gateway port (label
 *     networking.istio.io/gatewayPort, default 15443);
 *   - a Gateway of class istio-east-west takes listeners on port 15008
 *     with protocol HBONE and TLS mode Terminate (double HBONE, no Istio
 *     Gateway) or TLS Passthrough ones (an Istio Gateway each); any other
 *     listener is reported UnsupportedProtocol yet kept.
 */
#include <stdio.h>
#include <string.h>

#include "gwapi.h"

bool gwapi_auto_passthrough(const struct gw_obj *gw, const struct node *l)
{
	const struct node *tls = node_get(l, "tls");
	const char *mode = gwapi_str(tls, "mode");
	if (!tls || !mode || strcmp(mode, "Passthrough") != 0)
		return false;
	const char *opt = gwapi_str(node_get(tls, "options"), "gateway.istio.io/listener-protocol");
	if (opt && strcmp(opt, "auto-passthrough") == 0)
		return true;
	if (!gwapi_str(gw->labels, "topology.istio.io/network"))
		return false;
	const char *want = gwapi_str(gw->labels, "networking.istio.io/gatewayPort");
	const struct node *port = node_get(l, "port");
	char have[32];
	if (!port || port->type != NODE_INT)
		return false;
	snprintf(have, sizeof(have), "%lld", node_ival(port));
	return strcmp(have, want ? want : "15443") == 0;
}

/* Why an east-west gateway's listener is not one it supports, or NULL. */
const char *gwapi_eastwest_listener_error(const struct node *l)
{
	const char *proto = gwapi_str(l, "protocol");
	const char *mode = gwapi_str(node_get(l, "tls"), "mode");
	const struct node *port = node_get(l, "port");
	bool hbone = proto && strcmp(proto, "HBONE") == 0 && port && port->type == NODE_INT &&
		     node_ival(port) == 15008 && mode && strcmp(mode, "Terminate") == 0;
	bool passthrough = proto && strcmp(proto, "TLS") == 0 && mode && strcmp(mode, "Passthrough") == 0;
	if (hbone || passthrough)
		return NULL;
	return "East-west gateway listeners must be either port 15008 with protocol \"HBONE\" "
	       "and TLS.Mode == Terminate, or TLS with TLS.Mode == Passthrough";
}

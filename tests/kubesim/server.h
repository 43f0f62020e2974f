/*
 * server.h — kubesim's public face: start a server in this process, learn
 * its port and kubeconfig, stop it. Everything else is internal (ks.h).
 */
#ifndef KUBESIM_SERVER_H
#define KUBESIM_SERVER_H

#include "ks.h"

/* Starts serving; on failure *out may be set and must still be destroyed. */
int ks_server_create(const struct ks_options *opt, struct ks_server **out, struct kerr *e);
void ks_server_destroy(struct ks_server *s);
int ks_server_port(const struct ks_server *s);
/* A kubeconfig (YAML) for this server; caller frees. */
char *ks_server_kubeconfig(const struct ks_server *s);
/* Writes --kubeconfig-out, then --port-file (so the port file means ready). */
int ks_server_write_files(const struct ks_server *s, struct kerr *e);

#endif

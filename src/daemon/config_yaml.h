/* config_yaml.h - helpers shared by the readers of the configuration file
 * (config.c for `controller`, config_sites.c for `sites` and
 * `mobile_nodes`, config_mobility.c for `mobility`). Every error names file:line:column. */
#ifndef MATFLOW_CONFIG_YAML_H
#define MATFLOW_CONFIG_YAML_H

#include <yaml.h>

#include "daemon/config.h"

struct loader {
    const char *path;
    yaml_document_t *doc;
    struct config *c;
    unsigned errors;
    void *ctx;          /* what the current mapping fills (a site, a node) */
    unsigned seen;      /* bit per required key seen in the current mapping */
};

/* Prints "FILE:LINE:COL: " + fmt (with one %s for arg) and counts it. */
void error_at(struct loader *l, const yaml_node_t *n, const char *fmt, const char *arg);
/* The node's text, or NULL (and an error) if it is not a scalar. */
const char *scalar(struct loader *l, const yaml_node_t *n, const char *key);
/* Calls each(l, key, value) for every pair of a mapping node. */
void load_mapping(struct loader *l, yaml_node_t *map, const char *where,
                  void (*each)(struct loader *, const char *, yaml_node_t *));

void config_load_sites(struct loader *l, yaml_node_t *v);
void config_load_nodes(struct loader *l, yaml_node_t *v);
void config_load_mobility(struct loader *l, yaml_node_t *v);

#endif

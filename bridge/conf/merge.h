/*
 * The files of a config directory merged into one tree (merge.c). Internal to conf/.
 */
#ifndef BRIDGE_CONF_MERGE_H
#define BRIDGE_CONF_MERGE_H

#include "conf/loader.h"
#include "conf/yaml_tree.h"

/* The merged document: its root and its sources mapping are its own, every other node is
 * borrowed from the files' trees (which must outlive it). */
struct merged {
    struct ynode root;
    struct ynode sources;
};

/* Merges roots[0..n) (each file's tree, NULL for an empty file) into m: top-level keys from
 * each file, a key set in two files refused (naming both), sources merged by name (a source
 * in two files refused). Errors go to the loader; returns -1 when there was one. Release m
 * with conf_merged_release() in every case. */
int conf_merge(struct loader *l, struct ynode *const *roots, size_t n, struct merged *m);

void conf_merged_release(struct merged *m);

#endif

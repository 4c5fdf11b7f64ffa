/**
 * Where a task's store keeps its local copy: one directory per topology,
 * node, task and store under the state directory, so instances of several
 * topologies (or namespaces: the topology name carries none, the node's
 * topics do) never share one. Names are made safe for any file system.
 */
import { join } from 'node:path';
import type { Topology, TopologyNode } from '../../topology/index.ts';

function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}

export function stateDirOf(root: string, topology: Topology, node: TopologyNode, task: number, store: string): string {
  // The group id carries the namespace prefix of the run, so namespaced runs of one topology stay apart.
  const scope = node.input.kind === 'topics' ? node.input.topics.join('+') : topology.name;
  return join(root, safe(topology.name), safe(node.id), safe(scope), String(task), safe(store));
}

/**
 * Walking an ONNX graph with its subgraphs (If branches, Loop/Scan bodies live in node
 * attributes), so each converter does not spell out the recursion again.
 */
import type onnxProto from 'onnx-proto';

// Spelled here, not imported from external-data.ts, which walks graphs with these functions.
type Graph = onnxProto.onnx.IGraphProto;
type Node = onnxProto.onnx.INodeProto;

/** The subgraphs held by one node's attributes. */
export function subgraphsOf(node: Node): Graph[] {
  const out: Graph[] = [];
  for (const a of node.attribute ?? []) {
    if (a.g) out.push(a.g);
    out.push(...(a.graphs ?? []));
  }
  return out;
}

/** `g` and every graph nested in it, outermost first. */
export function* graphsDeep(g: Graph): Generator<Graph> {
  yield g;
  for (const node of g.node ?? []) for (const sub of subgraphsOf(node)) yield* graphsDeep(sub);
}

/** Every node of `g` and of the graphs nested in it. */
export function* nodesDeep(g: Graph): Generator<Node> {
  for (const graph of graphsDeep(g)) yield* graph.node ?? [];
}

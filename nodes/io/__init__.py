"""Graph inputs and outputs: the nodes the demo builder, the CLI and the per-graph API read."""

"""Nodes that stand for graphs: a saved graph used as one node."""

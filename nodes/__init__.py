"""The node library: the type system, the node API and registry, and the nodes by kind."""

// ReplicastRuntime: filled in by its owner

// ReplicastStore: filled in by its owner

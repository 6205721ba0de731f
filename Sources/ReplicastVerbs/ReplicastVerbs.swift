// ReplicastVerbs: filled in by its owner

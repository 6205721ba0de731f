// ReplicastUDP: filled in by its owner

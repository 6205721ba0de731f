import ReplicastCore
import ReplicastWire

/// Something that happens at a virtual time.
enum SimulationEvent {
    /// A datagram reaches the switch, which forwards it to the receivers' ports.
    case reachSwitch(SimulatedDatagram)
    /// A datagram reaches a node.
    case arrive(NodeID, SimulatedDatagram)
    /// A driver's deadline.
    case timer(NodeID, incarnation: Int)
    /// A server's disk wrote a chunk's last byte (or failed the write).
    case written(NodeID, incarnation: Int, StoreRequest)
    /// A server's disk flushed a written chunk: it is durable.
    case flushed(NodeID, incarnation: Int, StoreRequest)
    /// A server's disk finished a read.
    case loaded(NodeID, incarnation: Int, LoadRequest)
    /// A client starts its workload.
    case clientStart(NodeID)
    /// Open loop: a client's next transaction arrives.
    case arrival(NodeID)
    /// A client crashes (after the event that brought its crash point has been handled).
    case clientCrash
    /// A crashed server comes back.
    case restart(NodeID, incarnation: Int)
    /// A partitioned server is reachable again.
    case heal(NodeID)
    /// The recovery phase is over: read back every acknowledged chunk.
    case verify
}

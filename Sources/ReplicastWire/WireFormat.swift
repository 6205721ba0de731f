/// Constants of the wire format, version 1 (docs/PROTOCOL.md).
public enum WireFormat {
    /// The first four bytes of every datagram: ASCII "RPLC".
    public static let magic: UInt32 = 0x5250_4C43
    /// The protocol version this module writes and reads.
    public static let version: UInt8 = 1
    /// Size of the fixed datagram header; the header length field may announce more
    /// (extensions), never less.
    public static let headerSize = 44
    /// Byte offset of the CRC-32C field in the header.
    public static let checksumOffset = 40
    /// Most servers in a node list (Rendezvous Transfer members, Consensus Put Accept
    /// members and already-stored servers, Relayed and Consensus ACK stored-on lists).
    public static let maxNodeList = 64
    /// Most Reception Windows in a Get Request.
    public static let maxReceptionWindows = 16
    /// Most fragments of one message (the fragment count is a UInt16).
    public static let maxFragments = Int(UInt16.max)
}

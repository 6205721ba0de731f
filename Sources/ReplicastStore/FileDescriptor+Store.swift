import SystemPackage

extension FileDescriptor {
    /// Writes all of `bytes` from the current offset, retrying short writes.
    func writeFully(_ bytes: UnsafeRawBufferPointer) throws(Errno) {
        var offset = 0
        while offset < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            offset += try Errno.rethrowing { try write(rest) }
        }
    }

    /// Reads from offset 0 until `buffer` is full or the file ends; returns the bytes read.
    func readFully(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        var offset = 0
        while offset < buffer.count {
            let rest = UnsafeMutableRawBufferPointer(rebasing: buffer[offset...])
            let n = try Errno.rethrowing { try read(fromAbsoluteOffset: Int64(offset), into: rest) }
            if n == 0 { break }
            offset += n
        }
        return offset
    }

    /// Closes the descriptor.
    func closeChecked() throws(Errno) {
        try Errno.rethrowing { try close() }
    }
}

extension Errno {
    /// Runs a swift-system call (which throws untyped, but only `Errno`) with a typed throw.
    static func rethrowing<T>(_ body: () throws -> T) throws(Errno) -> T {
        do {
            return try body()
        } catch let failure as Errno {
            throw failure
        } catch {
            throw Errno.ioError
        }
    }
}

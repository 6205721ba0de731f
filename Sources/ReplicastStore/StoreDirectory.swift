#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemPackage

/// An open directory and the `*at` system calls the store needs, in the style of
/// swift-system: every call names its file relative to the directory and throws `Errno`.
///
/// Holding the directory open (instead of joining paths) means a store keeps working on the
/// same directory even if its path is renamed, and lets `sync()` make entries durable.
struct StoreDirectory: ~Copyable, Sendable {
    /// The directory's descriptor (opened `O_RDONLY | O_DIRECTORY | O_CLOEXEC`).
    let descriptor: FileDescriptor
    /// The path it was opened by, for error messages.
    let path: FilePath

    /// Opens `path`, creating it (and missing parents, mode 0755) when `create` is set.
    init(opening path: FilePath, create: Bool) throws(Errno) {
        if create { try Self.makeDirectories(path) }
        let fd = path.withPlatformString { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else { throw Errno.fromCurrent }
        self.descriptor = FileDescriptor(rawValue: fd)
        self.path = path
    }

    /// Opens the subdirectory `name`, creating it when `create` is set.
    ///
    /// A newly created subdirectory is made durable by syncing this directory.
    func subdirectory(_ name: String, create: Bool) throws(Errno) -> StoreDirectory {
        if create {
            if mkdirat(descriptor.rawValue, name, 0o755) == 0 {
                try sync()
            } else if errno != EEXIST {
                throw Errno.fromCurrent
            }
        }
        let fd = openat(descriptor.rawValue, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw Errno.fromCurrent }
        return StoreDirectory(descriptor: FileDescriptor(rawValue: fd), path: path.appending(name))
    }

    private init(descriptor: FileDescriptor, path: FilePath) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit {
        try? descriptor.close()
    }

    /// Takes an exclusive, non-blocking `flock` on the directory; fails with
    /// `.wouldBlock` if another open store (in any process) holds it.
    func lockExclusively() throws(Errno) {
        try retrying { flock(descriptor.rawValue, LOCK_EX | LOCK_NB) }
    }

    /// Opens the file `name` in this directory.
    func openFile(
        _ name: String, _ mode: FileDescriptor.AccessMode,
        options: FileDescriptor.OpenOptions = [], permissions: FilePermissions = [.ownerReadWrite, .groupRead, .otherRead]
    ) throws(Errno) -> FileDescriptor {
        let flags = mode.rawValue | options.rawValue | O_CLOEXEC
        var fd: CInt = -1
        try retrying {
            fd = openat(descriptor.rawValue, name, flags, permissions.rawValue)
            return fd
        }
        return FileDescriptor(rawValue: fd)
    }

    /// Atomically renames `source` to `destination` (replacing it), both in this directory.
    func rename(_ source: String, to destination: String) throws(Errno) {
        try retrying { renameat(descriptor.rawValue, source, descriptor.rawValue, destination) }
    }

    /// Removes the file `name`; returns false if it did not exist.
    @discardableResult
    func unlink(_ name: String) throws(Errno) -> Bool {
        if unlinkat(descriptor.rawValue, name, 0) == 0 { return true }
        if errno == ENOENT { return false }
        throw Errno.fromCurrent
    }

    /// Makes the directory's entries (creations, renames, removals) durable.
    func sync() throws(Errno) {
        try Self.sync(descriptor)
    }

    /// `fsync` on any descriptor, retried on `EINTR`.
    static func sync(_ fd: FileDescriptor) throws(Errno) {
        try retrying { fsync(fd.rawValue) }
    }

    /// The size of the regular file `name`, or nil if `name` is not a regular file.
    func regularFileSize(_ name: String) throws(Errno) -> Int? {
        let status = try Stat(FilePath(name), relativeTo: descriptor, flags: .symlinkNoFollow)
        guard status.type == .regular else { return nil }
        return Int(status.size)
    }

    /// The names of the entries in the directory, without "." and "..".
    func entryNames() throws(Errno) -> [String] {
        // fdopendir takes ownership of its descriptor, so give it a fresh one.
        let fd = openat(descriptor.rawValue, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw Errno.fromCurrent }
        guard let stream = fdopendir(fd) else {
            let failure = Errno.fromCurrent
            close(fd)
            throw failure
        }
        defer { closedir(stream) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                if errno != 0 { throw Errno.fromCurrent }
                return names
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
    }

    /// Bytes an unprivileged writer may still allocate on this directory's filesystem.
    func availableBytes() throws(Errno) -> Int {
        var info = statvfs()
        try retrying { fstatvfs(descriptor.rawValue, &info) }
        let (bytes, overflow) = Int(info.f_bavail).multipliedReportingOverflow(by: Int(info.f_frsize))
        return overflow ? Int.max : bytes
    }

    /// `mkdir -p`: creates `path` and any missing parents, syncing each parent that gained
    /// an entry so the new directories survive a crash.
    private static func makeDirectories(_ path: FilePath) throws(Errno) {
        if try makeDirectory(path) { return }
        let parent = path.removingLastComponent()
        guard parent != path, !parent.isEmpty else { throw Errno.noSuchFileOrDirectory }
        try makeDirectories(parent)
        guard try makeDirectory(path) else { throw Errno.noSuchFileOrDirectory }
    }

    /// Creates one directory; true if it exists afterwards, false if its parent is missing.
    private static func makeDirectory(_ path: FilePath) throws(Errno) -> Bool {
        if path.withPlatformString({ mkdir($0, 0o755) }) != 0 {
            if errno == EEXIST { return true }
            if errno == ENOENT { return false }
            throw Errno.fromCurrent
        }
        var parent = path.removingLastComponent()
        if parent.isEmpty { parent = "." }
        let fd = parent.withPlatformString { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else { throw Errno.fromCurrent }
        defer { close(fd) }
        try sync(FileDescriptor(rawValue: fd))
        return true
    }
}

/// Runs a C call that returns -1 and sets `errno` on failure, retrying on `EINTR`.
private func retrying(_ call: () -> CInt) throws(Errno) {
    while call() == -1 {
        let failure = Errno.fromCurrent
        if failure != .interrupted { throw failure }
    }
}

extension Errno {
    /// The calling thread's `errno` as an `Errno`.
    fileprivate static var fromCurrent: Errno { Errno(rawValue: errno) }
}
